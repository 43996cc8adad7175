import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor, type AuditRecord } from '@app/audit';
import {
  Actor,
  Clock,
  INTEGRATION_TYPE_SCOPES,
  RequestValidationFailed,
  ResourceNotFound,
} from '@app/common';
import { KeyProvider, SignedCursors } from '@app/crypto';
import { PartnersService } from '@app/identity';
import { ActiveSecretsCache } from './active-secrets-cache';
import { WebhookSecret, type WebhookSecretStatus } from './webhook-secret.entity';
import { newWebhookKey, newWebhookSecretId, secretText, wrapContext } from './webhook-secret-format';
import { TooManyWebhookSecrets, WebhookSecretsNotAllowed } from './webhook.errors';

/** Enough for a rotation overlap (old + new) with room to spare; bounds the HMACs one request may cost. */
export const MAX_ACTIVE_WEBHOOK_SECRETS = 5;
/** Advisory-lock namespace 'whs' (two-int form): creates for one partner take turns. */
const CREATE_LOCK_NAMESPACE = 0x776873;

export interface WebhookSecretSummary {
  id: string;
  status: WebhookSecretStatus;
  createdAt: string;
  revokedAt: string | null;
}

interface ListCursor {
  p: string;
  c: string;
  i: string;
}

/**
 * Inbound signing secrets per partner: created (shown once), listed without the secret, revoked
 * to end a rotation overlap. Stored wrapped by the KEK only; every change is audited with who
 * and why, and drops this process's cached copy at once.
 */
@Injectable()
export class WebhookSecretsService {
  constructor(
    private readonly em: EntityManager,
    private readonly keyProvider: KeyProvider,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly partners: PartnersService,
    private readonly cursors: SignedCursors,
    private readonly cache: ActiveSecretsCache,
  ) {}

  async create(partnerId: string, actor: Actor): Promise<{ id: string; secret: string }> {
    const partner = await this.partners.get(partnerId);
    if (!INTEGRATION_TYPE_SCOPES[partner.type].includes('sync:write')) throw new WebhookSecretsNotAllowed();
    const id = newWebhookSecretId();
    const key = newWebhookKey();
    const secretWrapped = await this.keyProvider.wrap(key, wrapContext(partnerId, id));
    await this.em.fork().transactional(async (em) => {
      await em.execute('select pg_advisory_xact_lock(?, hashtext(?))', [CREATE_LOCK_NAMESPACE, partnerId]);
      const secrets = em.getRepository(WebhookSecret);
      if ((await secrets.countActive(partnerId)) >= MAX_ACTIVE_WEBHOOK_SECRETS) {
        throw new TooManyWebhookSecrets(MAX_ACTIVE_WEBHOOK_SECRETS);
      }
      await secrets.insert({
        id,
        partnerId,
        secretWrapped,
        status: 'active',
        createdAt: this.clock.now(),
        createdBy: actorId(actor),
        revokedAt: null,
        revokedBy: null,
        revokeReason: null,
      });
      await this.audit.record(em, {
        ...who(actor),
        action: 'webhook_secret.create',
        resourceType: 'webhook_secret',
        resourceIds: [id, partnerId],
        outcome: 'success',
        statusCode: 201,
      });
    });
    this.cache.invalidate(partnerId);
    return { id, secret: secretText(key) };
  }

  async list(
    partnerId: string,
    page: { cursor?: string; limit?: number },
  ): Promise<{ data: WebhookSecretSummary[]; nextCursor: string | null }> {
    await this.partners.get(partnerId);
    const limit = page.limit ?? 50;
    let after: { createdAt: Date; id: string } | null = null;
    if (page.cursor) {
      const state = await this.cursors.verify<ListCursor>(page.cursor);
      // A cursor of another partner's list (or a forged one) is refused like a malformed one.
      if (!state || state.p !== partnerId || typeof state.c !== 'string' || typeof state.i !== 'string') {
        throw new RequestValidationFailed([{ field: 'cursor', rules: ['cursor'] }]);
      }
      after = { createdAt: new Date(state.c), id: state.i };
    }
    const rows = await this.em
      .fork()
      .getRepository(WebhookSecret)
      .page(partnerId, after, limit + 1);
    const data = rows.slice(0, limit).map(summaryOf);
    const last = rows.length > limit ? rows[limit - 1] : null;
    return {
      data,
      nextCursor: last
        ? await this.cursors.sign({
            p: partnerId,
            c: last.createdAt.toISOString(),
            i: last.id,
          } satisfies ListCursor)
        : null,
    };
  }

  /** Ends a secret at once (in this process; others within the cache TTL). Repeating it changes nothing. */
  async revoke(
    partnerId: string,
    secretId: string,
    reason: string,
    actor: Actor,
  ): Promise<WebhookSecretSummary> {
    const revokedAt = this.clock.now();
    const summary = await this.em.fork().transactional(async (em) => {
      const secrets = em.getRepository(WebhookSecret);
      const revoked = await secrets.revoke(partnerId, secretId, {
        revokedAt,
        revokedBy: actorId(actor),
        revokeReason: reason,
      });
      const row = await secrets.ofPartner(partnerId, secretId);
      if (!row) throw new ResourceNotFound('webhook secret');
      if (revoked) {
        await this.audit.record(em, {
          ...who(actor),
          action: 'webhook_secret.revoke',
          resourceType: 'webhook_secret',
          resourceIds: [secretId, partnerId],
          outcome: 'success',
          statusCode: 200,
          // The audit column holds 80 characters; the full reason stays on the secret's row.
          reason: reason.slice(0, 80),
        });
      }
      return summaryOf(row);
    });
    this.cache.invalidate(partnerId);
    return summary;
  }

  /** The partner's active secrets, unwrapped (for the verifier's cache; never returned by a route). */
  async activeSecrets(partnerId: string): Promise<string[]> {
    const rows = await this.em.fork().getRepository(WebhookSecret).active(partnerId);
    return Promise.all(
      rows.map(async (row) =>
        secretText(await this.keyProvider.unwrap(row.secretWrapped, wrapContext(row.partnerId, row.id))),
      ),
    );
  }
}

function summaryOf(row: WebhookSecret): WebhookSecretSummary {
  return {
    id: row.id,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt ? row.revokedAt.toISOString() : null,
  };
}

function actorId(actor: Actor): string {
  return (actor.principal?.id ?? actor.system ?? 'unknown').slice(0, 40);
}

/** Who acted: the admin, or the system actor a command or fixture names (as the seeder records it). */
function who(actor: Actor): ReturnType<typeof auditActor> & Pick<AuditRecord, 'actorType' | 'actorId'> {
  const base = auditActor(actor);
  return actor.principal ? base : { ...base, actorType: 'system', actorId: actor.system ?? null };
}
