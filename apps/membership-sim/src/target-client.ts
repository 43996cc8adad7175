import { type Agent, request } from 'node:https';
import type { IssuedToken } from './access-token-cache';
import type { SimTarget } from './sim-config';

export interface TargetResponse {
  status: number;
  body: string;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** Answers we read are small ({id, version}, per-item results); more is cut off, never buffered whole. */
const MAX_RESPONSE_BYTES = 256 * 1024;

/** One HTTPS POST to our API; the body is sent exactly as given. */
export function postToTarget(
  target: SimTarget,
  agent: Agent,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<TargetResponse> {
  const url = new URL(path, target.baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request to the target timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** A `sync:write` access token from our API's client-credentials grant (client_secret_basic). */
export async function requestToken(target: SimTarget, agent: Agent): Promise<IssuedToken> {
  // RFC 6749 §2.3.1: id and secret are form-encoded before the Basic encoding.
  const credentials = `${formEncode(target.clientId)}:${formEncode(target.clientSecret)}`;
  const response = await postToTarget(
    target,
    agent,
    '/oauth/token',
    new URLSearchParams({ grant_type: 'client_credentials', scope: 'sync:write' }).toString(),
    {
      authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
  );
  if (response.status !== 200) throw new Error(`the token endpoint answered ${response.status}`);
  const parsed = JSON.parse(response.body) as { access_token?: unknown; expires_in?: unknown };
  if (typeof parsed.access_token !== 'string' || typeof parsed.expires_in !== 'number')
    throw new Error('the token endpoint answered without access_token and expires_in');
  return { accessToken: parsed.access_token, expiresInSeconds: parsed.expires_in };
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
