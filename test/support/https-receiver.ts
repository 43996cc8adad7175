import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TEST_TLS_DIR } from './services';

export interface ReceivedRequest {
  headers: Record<string, string>;
  body: Buffer;
}

export interface HttpsReceiver {
  port: number;
  /** The requests received on `path`, in arrival order. */
  received(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A partner's webhook endpoint on 127.0.0.1 over HTTPS (the suite's certificate): records every
 * request per path and answers 204. Deliveries reach it only with DELIVERY_ALLOW_LOOPBACK.
 */
export async function startHttpsReceiver(): Promise<HttpsReceiver> {
  const received = new Map<string, ReceivedRequest[]>();
  const server: Server = createServer({
    cert: readFileSync(join(TEST_TLS_DIR, 'cert.pem')),
    key: readFileSync(join(TEST_TLS_DIR, 'key.pem')),
  });
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const list = received.get(path) ?? [];
      list.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks) });
      received.set(path, list);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: (path) => received.get(path) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
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
