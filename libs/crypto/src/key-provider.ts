/**
 * A key-encryption key (KEK) held outside the database. It only wraps and unwraps small secrets
 * (data keys, signing keys, TOTP seeds); the KEK itself never enters Postgres, logs or Redis.
 * `context` is bound as additional authenticated data, so a wrapped secret moved to another row
 * or purpose fails to unwrap.
 */
export interface WrappedSecret {
  /** Provider-specific id of the KEK version that wrapped it. */
  kek: string;
  iv: string;
  ct: string;
  tag: string;
}

export abstract class KeyProvider {
  abstract readonly name: string;
  abstract wrap(secret: Buffer, context: string): Promise<WrappedSecret>;
  abstract unwrap(wrapped: WrappedSecret, context: string): Promise<Buffer>;

  /**
   * Makes a new KEK version current; later wraps use it, earlier versions still unwrap. Remote
   * providers version their keys themselves (KMS automatic rotation, `vault write -f
   * transit/keys/<key>/rotate`), so by default this does nothing and a rotation run re-wraps
   * every secret under whatever version the provider now encrypts with.
   */
  rotate(): Promise<void> {
    return Promise.resolve();
  }
}

export class UnwrapFailed extends Error {
  constructor() {
    super('A wrapped secret failed authentication (wrong key, wrong context or tampered).');
  }
}
