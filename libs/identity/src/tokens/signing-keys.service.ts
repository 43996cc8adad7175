import {
  generateKeyPairSync,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey as NodeJsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { AuditService, auditActor } from '@app/audit';
import { AppConfig, Clock, type Actor } from '@app/common';
import { KeyProvider } from '@app/crypto';
import { SigningKey } from './signing-key.entity';

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  publicKey: KeyObject;
  status: 'active' | 'retired';
  retiredAt: Date | null;
}

const RELOAD_EVERY_MS = 60_000;
const UNKNOWN_KID_RELOAD_MIN_MS = 1_000;
const CLOCK_SKEW_MS = 60_000;

/**
 * ES256 signing keys shared by every API process through the database (private halves wrapped by
 * the KEK). A retired key stays in the JWKS until every token it signed has expired.
 */
@Injectable()
export class SigningKeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger('SigningKeys');
  private keys = new Map<string, LoadedKey>();
  private signer: { kid: string; privateKey: KeyObject } | null = null;
  private loadedAt = 0;

  constructor(
    private readonly em: EntityManager,
    private readonly keyProvider: KeyProvider,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.load();
    if (!this.signer) await this.createActiveKey();
  }

  /** The active key for signing (reloaded every minute, so another process's rotation is picked up). */
  async activeSigner(): Promise<{ kid: string; privateKey: KeyObject }> {
    if (!this.signer || Date.now() - this.loadedAt > RELOAD_EVERY_MS) await this.load();
    if (!this.signer) await this.createActiveKey();
    return this.signer!;
  }

  /** The public key for a `kid` we published and still honour, or null. */
  async publicKeyFor(kid: string): Promise<KeyObject | null> {
    let key = this.keys.get(kid);
    if (!key && Date.now() - this.loadedAt > UNKNOWN_KID_RELOAD_MIN_MS) {
      await this.load();
      key = this.keys.get(kid);
    }
    return key && this.stillHonoured(key) ? key.publicKey : null;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    if (Date.now() - this.loadedAt > RELOAD_EVERY_MS) await this.load();
    return { keys: [...this.keys.values()].filter((k) => this.stillHonoured(k)).map((k) => k.publicJwk) };
  }

  /** Retires the active key and activates a new one; returns the new kid. */
  async rotate(actor: Actor): Promise<{ kid: string; retiredKid: string | null }> {
    const previous = await this.em.fork().findOne(SigningKey, { status: 'active' });
    const kid = await this.createActiveKey(previous?.kid ?? null);
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action: 'signing_key.rotate',
      resourceType: 'signing_key',
      resourceIds: previous ? [kid, previous.kid] : [kid],
      outcome: 'success',
      statusCode: 201,
    });
    return { kid, retiredKid: previous?.kid ?? null };
  }

  private stillHonoured(key: LoadedKey): boolean {
    if (key.status === 'active' || !key.retiredAt) return true;
    const lastTokenExpires =
      key.retiredAt.getTime() + this.config.auth.accessTokenTtlSeconds * 1000 + CLOCK_SKEW_MS;
    return this.clock.nowMs() < lastTokenExpires;
  }

  private async createActiveKey(retireKid: string | null = null): Promise<string> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicJwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), alg: 'ES256', use: 'sig' };
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' });
    const wrapped = await this.keyProvider.wrap(Buffer.from(privatePem), `signing-key:${kid}`);
    try {
      await this.em.fork().transactional(async (em) => {
        if (retireKid) {
          await em.nativeUpdate(
            SigningKey,
            { kid: retireKid, status: 'active' },
            { status: 'retired', retiredAt: this.clock.now() },
          );
        }
        await em.insert(SigningKey, {
          kid,
          alg: 'ES256',
          publicJwk: { ...publicJwk, kid },
          privateKeyWrapped: wrapped,
          status: 'active',
          createdAt: this.clock.now(),
          retiredAt: null,
        });
      });
      this.logger.log({ kid }, 'activated a new token-signing key');
    } catch (error) {
      // Another process created the active key first: use theirs.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
    await this.load();
    return this.signer?.kid ?? kid;
  }

  private async load(): Promise<void> {
    const rows = await this.em.fork().find(SigningKey, {}, { orderBy: { createdAt: 'desc' } });
    const keys = new Map<string, LoadedKey>();
    let signer: typeof this.signer = null;
    for (const row of rows) {
      keys.set(row.kid, {
        kid: row.kid,
        publicJwk: row.publicJwk,
        publicKey: createPublicKey({ key: row.publicJwk as NodeJsonWebKey, format: 'jwk' }),
        status: row.status,
        retiredAt: row.retiredAt ?? null,
      });
      if (row.status === 'active') {
        const pem = await this.keyProvider.unwrap(row.privateKeyWrapped, `signing-key:${row.kid}`);
        signer = { kid: row.kid, privateKey: createPrivateKey(pem.toString()) };
      }
    }
    this.keys = keys;
    this.signer = signer;
    this.loadedAt = Date.now();
  }
}
