// The queue dashboard's cookies: what each one is for and the attributes each is always set with.
// Cookies are scoped to /admin, so no API route under /api ever receives them.

/** The session: an opaque handle, HttpOnly (no script ever reads it). */
export const SESSION_COOKIE = '__Secure-msync-admin';
/** The session's CSRF token, readable by the dashboard's script (axios echoes it as X-XSRF-TOKEN). */
export const XSRF_COOKIE = 'XSRF-TOKEN';
export const XSRF_HEADER = 'x-xsrf-token';
/** The sign-in form's own token (against login CSRF), sent only back to the sign-in page. */
export const SIGN_IN_COOKIE = '__Secure-msync-signin';

export const DASHBOARD_COOKIE_PATH = '/admin';
export const SIGN_IN_PATH = '/admin/sign-in';
export const SIGN_OUT_PATH = '/admin/sign-out';

/** How long a sign-in form may sit before its token is refused (seconds). */
export const SIGN_IN_FORM_MAX_AGE_S = 15 * 60;

const COOKIE_VALUE = /^[A-Za-z0-9_-]{1,128}$/;

export interface CookieOptions {
  httpOnly: boolean;
  path: string;
  /** Omitted: a session cookie (gone when the browser closes); 0 deletes it. */
  maxAgeSeconds?: number;
}

/**
 * A Set-Cookie value. Every cookie here is Secure and SameSite=Strict; values are base64url
 * only (the caller's random bytes), so nothing needs quoting and nothing a user typed gets in.
 */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  if (value !== '' && !COOKIE_VALUE.test(value)) throw new Error('cookie values are base64url only');
  const parts = [`${name}=${value}`, `Path=${options.path}`, 'Secure', 'SameSite=Strict'];
  if (options.httpOnly) parts.push('HttpOnly');
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  return parts.join('; ');
}

/** Deletes a cookie set with `path` (a browser matches deletions by name and path). */
export function expiredCookie(name: string, path: string, httpOnly: boolean): string {
  return serializeCookie(name, '', { httpOnly, path, maxAgeSeconds: 0 });
}

/**
 * The value of one cookie from a Cookie header, or undefined. A name sent twice (another path's
 * cookie, or one planted by a sibling host) is treated as absent rather than guessed at.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let found: string | undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    if (found !== undefined) return undefined;
    found = pair.slice(eq + 1).trim();
  }
  return found !== undefined && COOKIE_VALUE.test(found) ? found : undefined;
}
