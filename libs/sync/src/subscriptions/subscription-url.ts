import { isIP } from 'node:net';
import { isPublicAddress } from './public-address';

/** Longest URL a partner may register (and the column's width). */
export const MAX_SUBSCRIPTION_URL_LENGTH = 2048;

/** Why a webhook URL is refused: a stable code for the problem body and the audit trail (never the URL). */
export type SubscriptionUrlRefusal =
  | 'malformed'
  | 'too_long'
  | 'not_https'
  | 'credentials_in_url'
  | 'fragment_in_url'
  | 'non_public_address'
  | 'unresolvable';

/** Which addresses a connection may reach: public ones in production; a test client may add loopback. */
export type AddressPolicy = (address: string) => boolean;

export type SubscriptionUrlCheck =
  | {
      ok: true;
      /** The URL as it will be requested (WHATWG serialization: "127.1" and "0x7f.1" read as what they are). */
      href: string;
      /** The host to resolve, or null when the URL names an IP address (checked here already). */
      hostname: string | null;
    }
  | { ok: false; reason: SubscriptionUrlRefusal };

/**
 * The rules a webhook URL must pass before anything is stored or sent: https, no userinfo, no
 * fragment, at most 2,048 characters, and a host that is either a name (resolved and checked by
 * the caller) or an IP literal the policy allows. The host is read as the WHATWG URL parser (and
 * so Node's http client) reads it, so "https://0x7f.1" is judged as 127.0.0.1.
 */
export function checkSubscriptionUrl(
  raw: string,
  allow: AddressPolicy = isPublicAddress,
): SubscriptionUrlCheck {
  if (raw.length > MAX_SUBSCRIPTION_URL_LENGTH) return { ok: false, reason: 'too_long' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: 'not_https' };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'credentials_in_url' };
  // A fragment is never sent; refusing it keeps the stored URL the one that is requested.
  if (url.hash !== '' || raw.includes('#')) return { ok: false, reason: 'fragment_in_url' };
  if (url.href.length > MAX_SUBSCRIPTION_URL_LENGTH) return { ok: false, reason: 'too_long' };
  const host = unbracketed(url.hostname);
  if (host === '') return { ok: false, reason: 'malformed' };
  if (isIP(host) !== 0) return allow(host) ? { ok: true, href: url.href, hostname: null } : refused();
  return { ok: true, href: url.href, hostname: host };
}

/** A name is usable only if it resolved to at least one address and every one of them is allowed. */
export function resolvedAddressesRefusal(
  addresses: readonly string[],
  allow: AddressPolicy = isPublicAddress,
): SubscriptionUrlRefusal | null {
  if (addresses.length === 0) return 'unresolvable';
  return addresses.every((address) => allow(address)) ? null : 'non_public_address';
}

/** The host as a socket address: "[::1]" → "::1". */
export function unbracketed(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function refused(): SubscriptionUrlCheck {
  return { ok: false, reason: 'non_public_address' };
}
