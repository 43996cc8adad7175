import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import * as argon2 from 'argon2';
import { AuditService, auditActor } from '@app/audit';
import { Actor, Clock, INTEGRATION_TYPE_SCOPES, newId } from '@app/common';
import { InvalidRegistration } from '../identity.errors';
import { PartnersService } from '../partners/partners.service';
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

@Injectable()
export class ClientsService {
  private readonly cache = new Map<string, { client: OAuthClient | null; until: number }>();

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly partners: PartnersService,
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
