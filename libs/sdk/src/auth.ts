import type { MemberSyncClient } from './client';

/** Per-call headers for an admin session token or a partner's OAuth access token. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** Per-call headers for a per-integration API key (sync:write only). */
export function apiKey(key: string): { 'x-api-key': string } {
  return { 'x-api-key': key };
}

export interface AccessToken {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

/**
 * The client-credentials grant with client_secret_basic: a partner's access token for `scopes`
 * (all of the client's scopes when empty). Throws with the problem's title and status on refusal.
 */
export async function clientCredentialsToken(
  client: MemberSyncClient,
  credentials: { clientId: string; clientSecret: string; scopes?: readonly string[] },
): Promise<AccessToken> {
  const basic = Buffer.from(
    `${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`,
  ).toString('base64');
  const body: Record<string, string> = { grant_type: 'client_credentials' };
  if (credentials.scopes?.length) body.scope = credentials.scopes.join(' ');
  const { data, error, response } = await client.POST('/oauth/token', {
    body: body as { grant_type: string },
    bodySerializer: (form: Record<string, string>) => new URLSearchParams(form).toString(),
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
  });
  if (response.status !== 200) throw refusal('token', response, error);
  return data as unknown as AccessToken;
}

export interface AdminSessionTokens {
  accessToken: string;
  refreshToken: string;
}

/** Signs an administrator in (password + current TOTP code) and answers the session's tokens. */
export async function adminSignIn(
  client: MemberSyncClient,
  credentials: { email: string; password: string; totp: string },
): Promise<AdminSessionTokens> {
  const { data, error, response } = await client.POST('/api/v1/admin/session', { body: credentials });
  if (response.status !== 200) throw refusal('sign-in', response, error);
  return data as unknown as AdminSessionTokens;
}

/** An Error naming the refused step, the status and the problem's `type` and `title` (never its detail). */
function refusal(step: string, response: Response, problem: unknown): Error {
  const { type, title } = (problem ?? {}) as { type?: string; title?: string };
  return new Error(
    `${step} refused: ${response.status}${title ? ` ${title}` : ''}${type ? ` (${type})` : ''}`,
  );
}
