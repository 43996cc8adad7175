import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { Injectable } from '@nestjs/common';

/** Every address a host name resolves to. Injected, so tests point made-up names at 127.0.0.1. */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

/** The system resolver (hosts file, then DNS), as Node's http client uses it, every address at once. */
export const systemResolveHost: ResolveHost = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** A resolver that gives up after `ms`, answering no addresses (so the caller refuses the name). */
export function resolveWithin(resolve: ResolveHost, ms: number): ResolveHost {
  return (hostname) =>
    new Promise((done) => {
      const timer = setTimeout(() => done([]), ms);
      void resolve(hostname).then(
        (addresses) => {
          clearTimeout(timer);
          done(addresses);
        },
        () => {
          clearTimeout(timer);
          done([]);
        },
      );
    });
}

/** How long registration waits for a name to resolve before refusing it as unresolvable. */
export const REGISTRATION_RESOLVE_TIMEOUT_MS = 5_000;

/** The resolver registration checks names with (a class, so a test module can replace it). */
@Injectable()
export class SubscriptionHostResolver {
  private readonly resolveHost = resolveWithin(systemResolveHost, REGISTRATION_RESOLVE_TIMEOUT_MS);

  resolve(hostname: string): Promise<LookupAddress[]> {
    return this.resolveHost(hostname);
  }
}
