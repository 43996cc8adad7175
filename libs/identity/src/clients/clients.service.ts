import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import * as argon2 from 'argon2';
import { AuditService, auditActor } from '@app/audit';
import { Actor, Clock, INTEGRATION_TYPE_SCOPES, newId, ResourceNotFound } from '@app/common';
import { AUDITED_REASON_LENGTH, auditedChanger, changedBy } from '../admin/registry-change';
import { InvalidRegistration } from '../identity.errors';
import { PartnersService } from '../partners/partners.service';
import { RevocationService } from '../tokens/revocation.service';
import type { CreateClientDto } from './create-client.dto';
import { jwksProblem } from './jwks-validation';
import { OAuthClient } from './oauth-client.entity';

// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

const CACHE_TTL_MS = 30_000;

/** A client as admins see it: never its secret or hash. */
export interface ClientSummary {
  id: string;
  partnerId: string;
  authMethod: OAuthClient['authMethod'];
  scopes: string[];
  certificateThumbprint: string | null;
  status: OAuthClient['status'];
  createdAt: string;
  revokedAt: string | null;
}

export function clientSummaryOf(client: OAuthClient): ClientSummary {
  return {
    id: client.id,
    partnerId: client.partnerId,
    authMethod: client.authMethod,
    scopes: [...client.scopes],
    certificateThumbprint: client.certificateThumbprint ?? null,
    status: client.status,
    createdAt: client.createdAt.toISOString(),
    revokedAt: client.revokedAt ? client.revokedAt.toISOString() : null,
  };
}

@Injectable()
export class ClientsService {
  private readonly cache = new Map<string, { client: OAuthClient | null; until: number }>();

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly partners: PartnersService,
    private readonly revocations: RevocationService,
  ) {}

  async create(
    partnerId: string,
    dto: CreateClientDto,
    actor: Actor,
  ): Promise<{ clientId: string; clientSecret?: string }> {
    const partner = await this.partners.get(partnerId);
    const allowed = INTEGRATION_TYPE_SCOPES[partner.type];
    const refused = dto.scopes.filter((s) => !allowed.includes(s));
    if (refused.length > 0) {
      throw new InvalidRegistration(`A ${partner.type} integration may not hold: ${refused.join(', ')}.`);
    }
    let clientSecret: string | undefined;
    let secretHash: string | null = null;
    let jwks: OAuthClient['jwks'] = null;
    if (dto.authMethod === 'client_secret_basic') {
      if (dto.jwks) throw new InvalidRegistration('jwks is only for private_key_jwt clients.');
      clientSecret = randomBytes(32).toString('base64url');
      secretHash = await argon2.hash(clientSecret, ARGON2_OPTIONS);
    } else {
      const problem = await jwksProblem(dto.jwks);
      if (problem) throw new InvalidRegistration(problem);
      jwks = dto.jwks as OAuthClient['jwks'];
    }
    const clientId = newId('client');
    await this.em.fork().transactional(async (em) => {
      await em.insert(OAuthClient, {
        id: clientId,
        partnerId,
        authMethod: dto.authMethod,
        secretHash,
        jwks,
        certificateThumbprint: dto.certificateThumbprint ?? null,
        scopes: dto.scopes,
        status: 'active',
        createdAt: this.clock.now(),
      });
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'client.create',
        resourceType: 'oauth_client',
        resourceIds: [clientId, partnerId],
        outcome: 'success',
        statusCode: 201,
      });
    });
    return clientSecret ? { clientId, clientSecret } : { clientId };
  }

  /**
   * Revokes a client wherever it belongs (incidents name a client, not its partner): its tokens fail
   * on their next request in every API process and the token endpoint refuses it. The deny marker
   * goes in before the commit and is taken back if the commit fails, so a crash in between still
   * denies (the marker outlives the 30 s caches that may hold the client as active). Repeating it
   * changes nothing and records nothing.
   */
  async revoke(
    clientId: string,
    actor: Actor,
    reason: string,
  ): Promise<{ partnerId: string; alreadyRevoked: boolean }> {
    const client = await this.em.fork().findOne(OAuthClient, { id: clientId });
    if (!client) throw new ResourceNotFound('client');
    if (client.status === 'revoked') return { partnerId: client.partnerId, alreadyRevoked: true };
    await this.revocations.denyClient(clientId);
    let revoked: boolean;
    try {
      revoked = await this.em.fork().transactional(async (em) => {
        const changed = await em.nativeUpdate(
          OAuthClient,
          { id: clientId, status: 'active' },
          {
            status: 'revoked',
            revokedAt: this.clock.now(),
            revokedBy: changedBy(actor),
            revokeReason: reason,
          },
        );
        if (changed === 0) return false;
        await this.audit.record(em, {
          ...auditedChanger(actor),
          action: 'client.revoke',
          resourceType: 'oauth_client',
          resourceIds: [clientId, client.partnerId],
          outcome: 'success',
          statusCode: 200,
          reason: reason.slice(0, AUDITED_REASON_LENGTH),
        });
        return true;
      });
    } catch (error) {
      await this.revocations.allowClient(clientId).catch(() => undefined);
      throw error;
    }
    this.cache.delete(clientId);
    return { partnerId: client.partnerId, alreadyRevoked: !revoked };
  }

  /** The admin route's revoke: the client must belong to the partner in the path (else 404). */
  async revokeOfPartner(
    partnerId: string,
    clientId: string,
    reason: string,
    actor: Actor,
  ): Promise<ClientSummary> {
    const owner = await this.em.fork().findOne(OAuthClient, { id: clientId, partnerId }, { fields: ['id'] });
    if (!owner) throw new ResourceNotFound('client');
    await this.revoke(clientId, actor, reason);
    const client = await this.em.fork().findOneOrFail(OAuthClient, { id: clientId });
    return clientSummaryOf(client);
  }

  /** Whether a client of that id was ever registered (active or revoked). */
  async exists(clientId: string): Promise<boolean> {
    return (await this.em.fork().count(OAuthClient, { id: clientId })) > 0;
  }

  /** A partner's clients, oldest first (a partner holds a handful). */
  async ofPartner(partnerId: string): Promise<ClientSummary[]> {
    const rows = await this.em
      .fork()
      .find(OAuthClient, { partnerId }, { orderBy: { id: 'asc' }, limit: 500 });
    return rows.map(clientSummaryOf);
  }

  /** An active client by id, or null. Cached briefly: every partner request resolves its client. */
  async findActive(clientId: string): Promise<OAuthClient | null> {
    const now = this.clock.nowMs();
    const hit = this.cache.get(clientId);
    if (hit && hit.until > now) return hit.client;
    const client = await this.em.fork().findOne(OAuthClient, { id: clientId, status: 'active' });
    this.cache.set(clientId, { client, until: now + CACHE_TTL_MS });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value as string);
    return client;
  }

  verifySecret(client: OAuthClient, secret: string): Promise<boolean> {
    if (!client.secretHash) return Promise.resolve(false);
    return argon2.verify(client.secretHash, secret).catch(() => false);
  }
}
