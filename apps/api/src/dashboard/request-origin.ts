// Whether a browser request comes from a page of our own origin: the second CSRF check on every
// cookie-authenticated change and on the sign-in form (the first is the token).

import type { IncomingHttpHeaders } from 'node:http';

export type CrossSiteReason = 'cross_site_fetch' | 'foreign_origin';

/**
 * Null when the request may be from our own page, otherwise why not. Current browsers send
 * Sec-Fetch-Site on every request and Origin on every POST/PUT/PATCH/DELETE; each one present must
 * say same-origin. Our pages are served with `Referrer-Policy: no-referrer`, under which a browser
 * sends `Origin: null` even from our own page, so `null` passes only beside Sec-Fetch-Site
 * same-origin (a hostile page can also produce `null`). A header that is absent proves nothing
 * either way, so the CSRF token stays required regardless.
 */
export function crossSiteReason(
  headers: IncomingHttpHeaders,
  ownOrigins: ReadonlySet<string>,
): CrossSiteReason | null {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return 'cross_site_fetch';
  const origin = headers.origin;
  if (origin === undefined) return null;
  if (origin === 'null') return site === 'same-origin' ? null : 'foreign_origin';
  return ownOrigins.has(origin.toLowerCase()) ? null : 'foreign_origin';
}

/**
 * The origins a page of ours can have: the configured public URL, and the host this request was
 * sent to (the browser sets Host; behind a trusted proxy, X-Forwarded-Host). HTTPS only.
 */
export function ownOrigins(publicBaseUrl: string, requestHost: string | undefined): Set<string> {
  const origins = new Set([new URL(publicBaseUrl).origin.toLowerCase()]);
  if (requestHost) origins.add(`https://${requestHost.toLowerCase()}`);
  return origins;
}

/**
 * A document the browser is opening (typed, followed, reloaded), as opposed to a script's fetch or
 * an asset: only these, with changes, count as the admin being active. Without Sec-Fetch-Mode
 * (older browsers), a GET asking for HTML is taken as one.
 */
export function isNavigation(method: string, headers: IncomingHttpHeaders): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const mode = headers['sec-fetch-mode'];
  if (mode !== undefined) return mode === 'navigate';
  return (headers.accept ?? '').includes('text/html');
}
