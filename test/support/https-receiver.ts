import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TEST_TLS_DIR } from './services';

export interface ReceivedRequest {
  /** The webhook-id header as a string ('undefined' when absent). */
  webhookId: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
}

/** Answers the `n`th request (1-based) on one path. */
export type Responder = (n: number) => ReceiverAnswer;

export interface HttpsReceiverOptions {
  /** The default answer, given the path and its requests so far (the current one last); 204 if unset. */
  answer?: (path: string, received: readonly ReceivedRequest[]) => ReceiverAnswer;
  /** Holds every answer this long, so that attempts stay in flight (sent, not yet answered). */
  latencyMs?: number;
}

export interface HttpsReceiver {
  port: number;
  /** The requests received on `path`, in arrival order. */
  received(path: string): ReceivedRequest[];
  /** Answers the requests on `path` with `responder` instead of the default answer. */
  respond(path: string, responder: Responder): void;
  /** Requests received and not yet answered. */
  inFlight(): number;
  close(): Promise<void>;
}

/**
 * A partner's webhook endpoint on 127.0.0.1 over HTTPS (the suite's certificate): records every
 * request per path and answers 204 unless told otherwise. Deliveries reach it only with
 * DELIVERY_ALLOW_LOOPBACK.
 */
export async function startHttpsReceiver(options: HttpsReceiverOptions = {}): Promise<HttpsReceiver> {
  const received = new Map<string, ReceivedRequest[]>();
  const responders = new Map<string, Responder>();
  let inFlight = 0;
  const server: Server = createServer({
    cert: readFileSync(join(TEST_TLS_DIR, 'cert.pem')),
    key: readFileSync(join(TEST_TLS_DIR, 'key.pem')),
  });
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    inFlight += 1;
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const list = received.get(path) ?? [];
      list.push({
        webhookId: String(req.headers['webhook-id']),
        headers: req.headers as Record<string, string>,
        body: Buffer.concat(chunks),
      });
      received.set(path, list);
      const responder = responders.get(path);
      const answer: ReceiverAnswer = responder
        ? responder(list.length)
        : (options.answer?.(path, list) ?? { status: 204 });
      const reply = () => {
        inFlight -= 1;
        res.writeHead(answer.status, answer.headers).end();
      };
      if (options.latencyMs) setTimeout(reply, options.latencyMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: (path) => received.get(path) ?? [],
    respond: (path, responder) => void responders.set(path, responder),
    inFlight: () => inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The API settings that let deliveries reach a loopback receiver with the suite's certificate:
 * loopback allowed, that certificate trusted, retries on `schedule` (DELIVERY_RETRY_SCHEDULE_SECONDS).
 */
export function loopbackDeliveryEnv(schedule: string): Record<string, string> {
  return {
    DELIVERY_ALLOW_LOOPBACK: 'true',
    DELIVERY_CA_FILE: join(TEST_TLS_DIR, 'cert.pem'),
    DELIVERY_RETRY_SCHEDULE_SECONDS: schedule,
  };
}

/** Polls `probe` every 100 ms until `done` holds or `ms` pass; answers the last value either way. */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  done: (value: T) => boolean,
  ms = 20_000,
): Promise<T> {
  const until = Date.now() + ms;
  let value = await probe();
  while (!done(value) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await probe();
  }
  return value;
}
