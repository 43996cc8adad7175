// The HTML of the dashboard's sign-in and sign-out pages. No script (the CSP allows none inline),
// and nothing a visitor typed is ever written back: messages are fixed texts chosen by key.

import { SIGN_IN_PATH, SIGN_OUT_PATH } from './dashboard-cookies';

export const SIGN_IN_MESSAGES = {
  failed: 'Sign-in failed. Check your email, password and authenticator code, then try again.',
  invalid: 'Enter your email, your password and the 6-digit code from your authenticator app.',
  expired: 'This sign-in form expired or did not come from this site. Please sign in again.',
  throttled: 'Too many sign-in attempts from your address. Wait a minute, then try again.',
  ended:
    'Your session ended (15 minutes without activity, signed out, or account changed). Please sign in again.',
  signed_out: 'You are signed out.',
} as const;

export type SignInMessage = keyof typeof SIGN_IN_MESSAGES;

export function isSignInMessage(value: unknown): value is SignInMessage {
  return typeof value === 'string' && Object.hasOwn(SIGN_IN_MESSAGES, value);
}

const STYLE = `
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:24rem;margin:10vh auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin:0 0 .5rem}p{line-height:1.4}
label{display:block;margin:1rem 0 .25rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem;cursor:pointer}
.notice{padding:.6rem;border-radius:4px;background:#fdecea;color:#8a1c12}
.notice.info{background:#e8f1fb;color:#0b3d6b}`;

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

function notice(message: SignInMessage | undefined): string {
  if (!message) return '';
  const kind = message === 'signed_out' || message === 'ended' ? 'notice info' : 'notice';
  return `<p class="${kind}" role="alert">${escapeHtml(SIGN_IN_MESSAGES[message])}</p>`;
}

/** The sign-in form; `formToken` is the value of the sign-in cookie, echoed back by the form. */
export function signInPage(formToken: string, message?: SignInMessage): string {
  return page(
    'Sign in · Member-sync queue dashboard',
    `<h1>Queue dashboard</h1>
<p>Sign in with your admin account (operator or security admin).</p>
${notice(message)}
<form method="post" action="${SIGN_IN_PATH}" autocomplete="on">
<input type="hidden" name="formToken" value="${escapeHtml(formToken)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" maxlength="254" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" maxlength="256" required>
<label for="totp">Authenticator code</label>
<input id="totp" name="totp" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

/** Asks to confirm signing out; the form carries the session's CSRF token. */
export function signOutPage(csrfToken: string): string {
  return page(
    'Sign out · Member-sync queue dashboard',
    `<h1>Sign out</h1>
<p>End your dashboard session now? It also ends by itself after 15 minutes without activity.</p>
<form method="post" action="${SIGN_OUT_PATH}">
<input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}">
<button type="submit">Sign out</button>
</form>
<p><a href="/admin/queues">Back to the queue dashboard</a></p>`,
  );
}
