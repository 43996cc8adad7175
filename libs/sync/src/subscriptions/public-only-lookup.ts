import type { LookupAddress, LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { ResolveHost } from './host-resolver';
import { resolvedAddressesRefusal, type AddressPolicy } from './subscription-url';

/**
 * The error a connection fails with when its host resolved to an address the policy refuses. No
 * socket was opened: the check runs inside the lookup the socket layer calls before connecting.
 */
export class WebhookAddressRefused extends Error {
  readonly code = 'ERR_WEBHOOK_ADDRESS_REFUSED';
  constructor() {
    super('The webhook host resolves to an address that may not be reached.');
  }
}

/**
 * A `lookup` for net/tls sockets that resolves every address of the host and refuses the
 * connection unless all of them pass the policy, so a name that was public when the subscription
 * was registered and now resolves to 127.0.0.1 (DNS rebinding) never reaches a socket. Answers
 * in both shapes Node asks for: one address, or all of them (`all: true`, used by
 * autoSelectFamily), narrowed to the requested family.
 */
export function publicOnlyLookup(resolve: ResolveHost, allow: AddressPolicy): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    void resolve(hostname).then(
      (resolved) => {
        // Every address is judged, not only the family asked for: one bad answer spoils the name.
        if (
          resolvedAddressesRefusal(
            resolved.map((a) => a.address),
            allow,
          ) !== null
        )
          return callback(new WebhookAddressRefused(), '');
        const family = familyOf(options.family);
        const usable = family ? resolved.filter((a) => a.family === family) : resolved;
        if (usable.length === 0) return callback(notFound(), '');
        if (options.all) return callback(null, usable);
        return callback(null, usable[0].address, usable[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

function familyOf(family: LookupOptions['family']): LookupAddress['family'] | null {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return null;
}

function notFound(): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error('The webhook host has no address of the requested family.');
  error.code = 'ENOTFOUND';
  return error;
}
