/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | string[] | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const match = /^Bearer ([\x21-\x7e]{1,500})$/i.exec(authorization.trim());
  return match?.[1];
}
