import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig, Clock } from '@app/common';
import { BlindIndexService } from '@app/crypto';
import { existingRecordVerdict } from './existing-record-verdict';
import { IdempotencyKeyInUse, IdempotencyKeyReused } from './idempotency.errors';
import { dataKeyIdOf, IdempotencyResponseCipher } from './idempotency-response.cipher';
import { IdempotencyStore, type IdempotencyClaim, type IdempotencyClient } from './idempotency.store';
import { responseOutcome } from './response-outcome';
import type { StoredResponse } from './stored-response';

/** A request that names a key: whose, which key, and what the key must keep meaning. */
export interface IdempotentRequest {
  client: IdempotencyClient;
  key: string;
  fingerprint: Buffer;
}

export type IdempotencyStart =
  { kind: 'execute'; claim: IdempotencyClaim } | { kind: 'replay'; response: StoredResponse };

// The blind-index "field" the key is hashed under: a name no member field can have.
const KEY_HASH_FIELD = 'idempotency-key';
// Claim attempts when the record vanishes between the claim and the read (its request was released).
const CLAIM_ATTEMPTS = 3;
const SWEEP_BATCH = 5000;

/**
 * Stripe's idempotency semantics: the first request under a key executes and its answer is stored
 * (sealed) and replayed to every later request with the same key and fingerprint. The key is kept
 * as an HMAC (the blind-index key), never as sent: a careless client may put a name in it.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger('Idempotency');

  constructor(
    private readonly store: IdempotencyStore,
    private readonly cipher: IdempotencyResponseCipher,
    private readonly blindIndex: BlindIndexService,
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Claims the key, or answers how the earlier request under it decides this one. */
  async start(request: IdempotentRequest): Promise<IdempotencyStart> {
    const keyHash = await this.blindIndex.compute(KEY_HASH_FIELD, request.key);
    const claim: IdempotencyClaim = { client: request.client, keyHash, claimId: randomUUID() };
    const leaseMs = this.config.idempotency.leaseSeconds * 1000;
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      const now = this.clock.now();
      if (await this.store.claim(claim, request.fingerprint, now, new Date(now.getTime() - leaseMs)))
        return { kind: 'execute', claim };
      const existing = await this.store.find(request.client, keyHash);
      if (!existing) continue;
      switch (existingRecordVerdict(existing, request.fingerprint)) {
        case 'reused':
          throw new IdempotencyKeyReused();
        case 'in-use':
          throw new IdempotencyKeyInUse();
        case 'replay':
          return {
            kind: 'replay',
            response: await this.cipher.open(
              sealingContext(claim),
              existing.dataKeyId!,
              existing.responseSealed!,
            ),
          };
      }
    }
    throw new IdempotencyKeyInUse();
  }

  /**
   * Stores the answer for replay, or frees the key (responseOutcome decides). A failure here is
   * logged, not raised: the answer still goes out, and the key stays running until its lease ends.
   */
  async finish(claim: IdempotencyClaim, response: StoredResponse): Promise<void> {
    try {
      if (responseOutcome(response.status) === 'release') return await this.store.release(claim);
      const now = this.clock.now();
      const sealed = await this.cipher.seal(sealingContext(claim), response, now);
      const stored = await this.store.complete(claim, { status: response.status, ...sealed }, now);
      if (!stored) this.logger.warn('an idempotency key was taken over before its answer was stored');
    } catch (error) {
      this.logger.error({ err: error }, 'an idempotency record could not be finished');
    }
  }

  /** Frees the key without storing anything (an answer that cannot be replayed). */
  async release(claim: IdempotencyClaim): Promise<void> {
    try {
      await this.store.release(claim);
    } catch (error) {
      this.logger.error({ err: error }, 'an idempotency key could not be released');
    }
  }

  /**
   * Deletes records older than the retention (whatever their state), then the data keys no kept
   * record can use. Throws on failure so the job is retried.
   */
  async sweep(): Promise<{ records: number; dataKeys: number }> {
    const cutoff = new Date(this.clock.nowMs() - this.config.idempotency.retentionHours * 3_600_000);
    const em = this.em.fork();
    let records = 0;
    for (;;) {
      const deleted = await this.store.deleteRecordsCreatedBefore(em, cutoff, SWEEP_BATCH);
      records += deleted;
      if (deleted < SWEEP_BATCH) break;
    }
    const dataKeys = await this.store.deleteDataKeysBefore(em, dataKeyIdOf(cutoff));
    return { records, dataKeys };
  }
}

/** Binds a sealed answer to its record: copied to another client or key, it fails to open. */
function sealingContext(claim: IdempotencyClaim): string {
  return `idempotency-response:${claim.client.kind}:${claim.client.id}:${claim.keyHash.toString('hex')}`;
}
