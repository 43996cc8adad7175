import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AlertsService, AuditService, auditActor } from '@app/audit';
import {
  Actor,
  API_KEY_SCOPES,
  Clock,
  INTEGRATION_TYPE_SCOPES,
  newId,
  randomBase32,
  ResourceNotFound,
} from '@app/common';
import { AUDITED_REASON_LENGTH, auditedChanger, changedBy } from '../admin/registry-change';
import { AuthenticationFailed, InvalidRegistration } from '../identity.errors';
import { PartnersService } from '../partners/partners.service';
import { ApiKey } from './api-key.entity';
import { apiKeyStatus, type ApiKeyStatus } from './api-key-status';
import { ipAllowed, parseCidr } from './cidr';
import type { CreateApiKeyDto } from './create-api-key.dto';

/** How long a rotated key keeps working beside its successor. */
export const API_KEY_ROTATION_OVERLAP_MS = 24 * 3600 * 1000;
const KEY_FORMAT = /^msk_([0-9A-HJKMNP-TV-Z]{12})_([A-Za-z0-9_-]{43})$/;

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** An API key as admins see it: nothing derived from the key itself (no prefix, no hash). */
export interface ApiKeySummary {
  id: string;
  partnerId: string;
  scopes: string[];
  allowedCidrs: string[];
  status: ApiKeyStatus;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
    private readonly clock: Clock,
    private readonly partners: PartnersService,
  ) {}

  async create(partnerId: string, dto: CreateApiKeyDto, actor: Actor): Promise<{ id: string; key: string }> {
    const partner = await this.partners.get(partnerId);
    const refused = dto.scopes.filter(
      (s) => !API_KEY_SCOPES.includes(s) || !INTEGRATION_TYPE_SCOPES[partner.type].includes(s),
    );
    if (refused.length > 0) {
      throw new InvalidRegistration(
        `A ${partner.type} integration's API key may not hold: ${refused.join(', ')}.`,
      );
    }
    if (dto.allowedCidrs.some((c) => parseCidr(c) === null)) {
      throw new InvalidRegistration('allowedCidrs holds a malformed CIDR block.');
    }
    return this.issue(partnerId, dto.scopes, dto.allowedCidrs, actor, 'api_key.create');
  }

  /** A new key with the same scopes and allow-list; the old one keeps working for the overlap. */
  async rotate(
    partnerId: string,
    keyId: string,
    actor: Actor,
  ): Promise<{ id: string; key: string; previousKeyExpiresAt: string }> {
    const now = this.clock.now();
    const old = await this.em.fork().findOne(ApiKey, { id: keyId, partnerId, revokedAt: null });
    // An expired key cannot be brought back by rotating it, and a second rotation never extends the overlap.
    if (!old || (old.expiresAt && old.expiresAt <= now)) throw new ResourceNotFound('API key');
    const overlapEnd = new Date(now.getTime() + API_KEY_ROTATION_OVERLAP_MS);
    const expiresAt = old.expiresAt && old.expiresAt < overlapEnd ? old.expiresAt : overlapEnd;
    const issued = await this.issue(
      partnerId,
      old.scopes,
      old.allowedCidrs,
      actor,
      'api_key.rotate',
      async (em) => {
        await em.nativeUpdate(ApiKey, { id: keyId }, { expiresAt });
      },
    );
    return { ...issued, previousKeyExpiresAt: expiresAt.toISOString() };
  }

  private async issue(
    partnerId: string,
    scopes: ApiKey['scopes'],
    allowedCidrs: string[],
    actor: Actor,
    action: string,
    alongside?: (em: EntityManager) => Promise<void>,
  ): Promise<{ id: string; key: string }> {
    const id = newId('apiKey');
    const lookupPrefix = randomBase32(12);
    const key = `msk_${lookupPrefix}_${randomBytes(32).toString('base64url')}`;
    await this.em.fork().transactional(async (em) => {
      await em.insert(ApiKey, {
        id,
        partnerId,
        lookupPrefix,
        secretHash: sha256(key).toString('hex'),
        scopes,
        allowedCidrs,
        createdAt: this.clock.now(),
        expiresAt: null,
        revokedAt: null,
      });
      await alongside?.(em);
      await this.audit.record(em, {
        ...auditActor(actor),
        action,
        resourceType: 'api_key',
        resourceIds: [id, partnerId],
        outcome: 'success',
        statusCode: 201,
      });
    });
    return { id, key };
  }

  /**
   * Ends a key at once: keys are checked against the database on every request (no cache). Repeating
   * it changes nothing and records nothing; a key of another partner answers 404.
   */
  async revoke(partnerId: string, keyId: string, reason: string, actor: Actor): Promise<ApiKeySummary> {
    return this.em.fork().transactional(async (em) => {
      const changed = await em.nativeUpdate(
        ApiKey,
        { id: keyId, partnerId, revokedAt: null },
        { revokedAt: this.clock.now(), revokedBy: changedBy(actor), revokeReason: reason },
      );
      const key = await em.findOne(ApiKey, { id: keyId, partnerId });
      if (!key) throw new ResourceNotFound('API key');
      if (changed > 0) {
        await this.audit.record(em, {
          ...auditedChanger(actor),
          action: 'api_key.revoke',
          resourceType: 'api_key',
          resourceIds: [keyId, partnerId],
          outcome: 'success',
          statusCode: 200,
          reason: reason.slice(0, AUDITED_REASON_LENGTH),
        });
      }
      return this.summaryOf(key);
    });
  }

  /** A partner's keys, oldest first (a partner holds a handful; rotation adds one at a time). */
  async ofPartner(partnerId: string): Promise<ApiKeySummary[]> {
    const rows = await this.em.fork().find(ApiKey, { partnerId }, { orderBy: { id: 'asc' }, limit: 500 });
    return rows.map((row) => this.summaryOf(row));
  }

  private summaryOf(key: ApiKey): ApiKeySummary {
    return {
      id: key.id,
      partnerId: key.partnerId,
      scopes: [...key.scopes],
      allowedCidrs: [...key.allowedCidrs],
      status: apiKeyStatus(key, this.clock.now()),
      createdAt: key.createdAt.toISOString(),
      expiresAt: key.expiresAt ? key.expiresAt.toISOString() : null,
      revokedAt: key.revokedAt ? key.revokedAt.toISOString() : null,
    };
  }

  /**
   * The key's record when `presented` is a live key used from an allowed address. A valid key used
   * from outside its allow-list is refused and raises an alert: it may have leaked.
   */
  async authenticate(presented: string, ip: string): Promise<ApiKey> {
    const match = KEY_FORMAT.exec(presented);
    if (!match) throw new AuthenticationFailed('api_key_malformed');
    const record = await this.em.fork().findOne(ApiKey, { lookupPrefix: match[1] });
    if (!record || !timingSafeEqual(sha256(presented), Buffer.from(record.secretHash, 'hex'))) {
      throw new AuthenticationFailed('api_key_unknown');
    }
    const now = this.clock.now();
    if (record.revokedAt || (record.expiresAt && record.expiresAt <= now)) {
      throw new AuthenticationFailed('api_key_expired');
    }
    if (!ipAllowed(ip, record.allowedCidrs)) {
      await this.alerts.raise('api_key_outside_allowlist', 'high', `api_key:${record.id}`, {
        partnerId: record.partnerId,
        sourceIp: ip,
      });
      throw new AuthenticationFailed('api_key_ip_not_allowed');
    }
    return record;
  }
}
