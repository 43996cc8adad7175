import { Agent, request } from 'node:https';
import type { Socket } from 'node:net';
import type { OnModuleDestroy } from '@nestjs/common';
import type { AppConfig } from '@app/common';
import { systemResolveHost, type ResolveHost } from './host-resolver';
import { isLoopbackAddress, isPublicAddress } from './public-address';
import { publicOnlyLookup, WebhookAddressRefused } from './public-only-lookup';
import { parseRetryAfter } from './retry-after';
import { checkSubscriptionUrl, type AddressPolicy, type SubscriptionUrlRefusal } from './subscription-url';

/** Standard Webhooks' recommended ceiling for one attempt. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 15_000;
/** A receiver's answer body is read and dropped; past this much the connection is closed. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const USER_AGENT = 'member-sync-webhooks/1';

export interface SafeWebhookClientOptions {
  /** Resolves host names (the system resolver by default); tests point made-up names at 127.0.0.1. */
  lookup?: ResolveHost;
  /**
   * TEST ONLY: also allow loopback addresses, so a test can deliver to its own HTTPS server on
   * 127.0.0.1. Set from DELIVERY_ALLOW_LOOPBACK, which config validation refuses in production, and
   * refused here too in production.
   */
  allowLoopback?: boolean;
  /** Certificates to trust instead of the system roots (a test server's self-signed one). */
  ca?: string | Buffer;
  /** The deployment this client runs in (from AppConfig); a production client refuses `allowLoopback`. */
  environment?: AppConfig['env'];
  now?: () => number;
}

export type WebhookPostResult =
  /** The receiver answered; redirects are not followed (a 3xx is an answer like any other). */
  | { outcome: 'response'; status: number; retryAfterSeconds: number | null }
  /** Refused before any connection: the URL or an address it resolves to may not be reached. */
  | { outcome: 'refused'; reason: SubscriptionUrlRefusal }
  /** No answer: timed out, DNS, TLS or the connection failed. `code` is Node's error code, never a message. */
  | { outcome: 'failed'; reason: 'timeout' | 'dns' | 'tls' | 'connection'; code: string | null };

/**
 * The only way the service sends a request to a partner-supplied URL. The URL rules are checked
 * again before each attempt, and every connection's host is resolved through a lookup that
 * refuses loopback, private, link-local, CGNAT, metadata and other non-public addresses before a
 * socket opens (so DNS rebinding after registration reaches nothing); the connected peer is
 * checked once more. https only (TLS 1.2+, verified), no redirects, one deadline for the attempt.
 */
// Built by a factory provider (its options are not injectable), never by a class provider.
export class SafeWebhookClient implements OnModuleDestroy {
  private readonly agent: Agent;
  private readonly allow: AddressPolicy;
  private readonly now: () => number;

  constructor(options: SafeWebhookClientOptions = {}) {
    if (options.allowLoopback && options.environment === 'production')
      throw new Error('allowLoopback is for tests only and is refused in production');
    this.allow = options.allowLoopback
      ? (address) => isPublicAddress(address) || isLoopbackAddress(address)
      : isPublicAddress;
    this.now = options.now ?? Date.now;
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 32,
      minVersion: 'TLSv1.2',
      lookup: publicOnlyLookup(options.lookup ?? systemResolveHost, this.allow),
      ...(options.ca ? { ca: options.ca } : {}),
    });
  }

  /**
   * POSTs exactly `body` (sign these same bytes) with `headers`; answers once the status line is
   * in, and reads no more than 64 KiB of the answer. Never throws for the receiver's doing.
   */
  post(
    url: string,
    body: Buffer | string,
    headers: Record<string, string>,
    options: { timeoutMs?: number } = {},
  ): Promise<WebhookPostResult> {
    const check = checkSubscriptionUrl(url, this.allow);
    if (!check.ok) return Promise.resolve({ outcome: 'refused', reason: check.reason });
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;

    return new Promise<WebhookPostResult>((resolve) => {
      const req = request(check.href, {
        method: 'POST',
        agent: this.agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          ...headers,
          'content-length': String(bytes.length),
        },
      });
      // One deadline from the first byte of DNS to the end of the answer's body.
      const timer = setTimeout(() => req.destroy(new WebhookTimedOut()), timeoutMs);
      let settled = false;
      const settle = (result: WebhookPostResult) => {
        if (settled) return;
        settled = true;
        resolve(result);
      };

      req.on('socket', (socket: Socket) => {
        // Defence in depth (a literal IP host skips the lookup): the peer actually reached is
        // checked before the request goes out, on a new socket once connected, on a reused one now.
        const verifyPeer = () => {
          if (!socket.remoteAddress || !this.allow(socket.remoteAddress))
            req.destroy(new WebhookAddressRefused());
        };
        if (socket.connecting) socket.once('connect', verifyPeer);
        else verifyPeer();
      });
      req.on('response', (res) => {
        settle({
          outcome: 'response',
          status: res.statusCode ?? 0,
          retryAfterSeconds: parseRetryAfter(res.headers['retry-after'], this.now()),
        });
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) res.destroy();
        });
        res.on('close', () => clearTimeout(timer));
        res.on('error', () => clearTimeout(timer));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        settle(failure(error));
      });
      req.end(bytes);
    });
  }

  onModuleDestroy(): void {
    this.agent.destroy();
  }
}

class WebhookTimedOut extends Error {
  readonly code = 'ETIMEDOUT';
  constructor() {
    super('The webhook receiver did not answer in time.');
  }
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ENODATA']);

function failure(error: NodeJS.ErrnoException): WebhookPostResult {
  if (error instanceof WebhookAddressRefused) return { outcome: 'refused', reason: 'non_public_address' };
  const code = typeof error.code === 'string' ? error.code.slice(0, 60) : null;
  if (error instanceof WebhookTimedOut) return { outcome: 'failed', reason: 'timeout', code };
  if (code && DNS_CODES.has(code)) return { outcome: 'failed', reason: 'dns', code };
  // OpenSSL verification codes (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, …) and Node's ERR_TLS_*.
  if (code && (/^ERR_(TLS|SSL)_/.test(code) || /CERT|SELF_SIGNED|UNABLE_TO_|ERR_SSL/.test(code)))
    return { outcome: 'failed', reason: 'tls', code };
  return { outcome: 'failed', reason: 'connection', code };
}
