import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest, type AgentOptions } from 'node:https';

/** What Node's global fetch cannot take without undici's Agent: the CA to trust, and TLS client options. */
export interface NodeHttpsFetchOptions {
  /**
   * PEM certificate(s) to trust instead of the system roots, e.g. a development certificate that signs
   * itself. Leave it out to use Node's usual trust store.
   */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate and key (PEM), for partners registered with mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Reuse connections (default true); idle sockets never keep the process alive. */
  keepAlive?: boolean;
}

export type FetchFunction = (input: Request) => Promise<Response>;

// Statuses whose response has no body by definition; `new Response(body)` refuses one for them.
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * A `fetch` over node:https for openapi-fetch: Node 20's global fetch (undici) accepts a custom CA only
 * through an undici dispatcher, which Node does not export. Redirects are not followed (the API never
 * redirects; a 3xx is returned as it is). The request's AbortSignal is honoured.
 */
export function nodeHttpsFetch(options: NodeHttpsFetchOptions = {}): FetchFunction {
  const agentOptions: AgentOptions = { keepAlive: options.keepAlive ?? true };
  if (options.ca !== undefined) agentOptions.ca = options.ca;
  if (options.cert !== undefined) agentOptions.cert = options.cert;
  if (options.key !== undefined) agentOptions.key = options.key;
  const agent = new Agent(agentOptions);

  return async (input: Request): Promise<Response> => {
    const url = new URL(input.url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new TypeError(`unsupported protocol ${url.protocol}`);
    }
    const body = input.body === null ? undefined : Buffer.from(await input.arrayBuffer());
    const headers: Record<string, string> = {};
    input.headers.forEach((value, name) => {
      headers[name] = value;
    });
    if (body !== undefined) headers['content-length'] = String(body.length);

    const raw = await new Promise<{ message: IncomingMessage; data: Buffer }>((resolve, reject) => {
      const signal = input.signal;
      if (signal.aborted) return reject(abortReason(signal));
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, {
        method: input.method,
        headers,
        ...(url.protocol === 'https:' ? { agent } : {}),
      });
      const onAbort = () => req.destroy(abortReason(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('error', (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      });
      req.once('response', (message) => {
        const chunks: Buffer[] = [];
        message.on('data', (chunk: Buffer) => chunks.push(chunk));
        message.once('error', reject);
        message.once('end', () => {
          signal.removeEventListener('abort', onAbort);
          resolve({ message, data: Buffer.concat(chunks) });
        });
      });
      req.end(body);
    });

    const status = raw.message.statusCode ?? 0;
    const responseHeaders = new Headers();
    const pairs = raw.message.rawHeaders;
    for (let i = 0; i + 1 < pairs.length; i += 2) responseHeaders.append(pairs[i], pairs[i + 1]);
    const hasBody = input.method !== 'HEAD' && !NULL_BODY_STATUSES.has(status);
    const response = new Response(hasBody ? new Uint8Array(raw.data) : null, {
      status,
      statusText: raw.message.statusMessage ?? '',
      headers: responseHeaders,
    });
    // Response.url is read-only and empty for constructed responses; callers that log it get the request's.
    Object.defineProperty(response, 'url', { value: input.url });
    return response;
  };
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new DOMException('The operation was aborted.', 'AbortError');
}
