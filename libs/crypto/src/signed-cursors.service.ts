import { Injectable } from '@nestjs/common';
import { CompactSign, compactVerify } from 'jose';
import { SystemSecretsService } from './system-secrets.service';

/**
 * Opaque, tamper-proof paging cursors: a JSON state signed HS256 (JWS compact) with the 'cursor'
 * system secret. A client can carry a cursor but not forge or alter one. The caller owns the
 * state's shape and checks that a verified state belongs to the query it is resumed with.
 */
@Injectable()
export class SignedCursors {
  constructor(private readonly secrets: SystemSecretsService) {}

  async sign(state: object): Promise<string> {
    return new CompactSign(Buffer.from(JSON.stringify(state)))
      .setProtectedHeader({ alg: 'HS256' })
      .sign(await this.secrets.get('cursor'));
  }

  /** The signed state, or null when the cursor is malformed, tampered or signed with another secret. */
  async verify<T extends object>(cursor: string): Promise<T | null> {
    const secret = await this.secrets.get('cursor');
    try {
      const { payload } = await compactVerify(cursor, secret, { algorithms: ['HS256'] });
      const state: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
      return typeof state === 'object' && state !== null ? (state as T) : null;
    } catch {
      return null;
    }
  }
}
