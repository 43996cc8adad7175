import { request } from 'node:https';

export interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
}

/** One HTTPS request for the benchmark's setup calls (admin API, token endpoint), trusting `ca`. */
export function httpsJson(
  ca: string,
  method: string,
  url: string,
  options: { token?: string; json?: object; form?: Record<string, string>; basic?: [string, string] } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: string | undefined;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.basic)
    headers.authorization = `Basic ${Buffer.from(options.basic.join(':')).toString('base64')}`;
  if (options.json) {
    payload = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  } else if (options.form) {
    payload = new URLSearchParams(options.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        }),
      );
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The body of a response with the expected status, else an error naming the call and the status. */
export function expectStatus(res: JsonResponse, status: number, what: string): Record<string, unknown> {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
