import { DomainError } from '@app/common';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_token_type';

/**
 * An RFC 6749 §5.2 token-endpoint error, answered as problem+json that also carries the OAuth
 * `error` and `error_description` members, so OAuth client libraries understand it.
 */
export class OAuthError extends DomainError {
  readonly type;

  constructor(
    readonly code: OAuthErrorCode,
    description: string,
    /** Stable code for the audit trail, more precise than `code`. */
    readonly reason: string = code,
    /**
     * Set only when the caller proved it holds this client's credential (a right secret or a
     * verified assertion) and was refused anyway: only then is the failure the client's own.
     */
    readonly provenClientId?: string,
  ) {
    super(description);
    this.type = code === 'invalid_client' ? ('unauthorized' as const) : ('bad-request' as const);
    this.extensions.error = code;
    this.extensions.error_description = description;
  }
}
