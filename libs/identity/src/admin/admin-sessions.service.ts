import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import * as argon2 from 'argon2';
import type { Redis } from 'ioredis';
import type { FastifyRequest } from 'fastify';
import { AlertsService, AuditService, auditActor, type AuditRecord } from '@app/audit';
import { ADMIN_ROLE_SCOPES, AppConfig, Clock, newId, REDIS, requestMeta } from '@app/common';
import { ARGON2_OPTIONS } from '../clients/clients.service';
import { AuthenticationFailed } from '../identity.errors';
import { TokenIssuerService } from '../tokens/token-issuer.service';
import { AdminRefreshToken, AdminSession } from './admin-session.entity';
import { AdminUsersService } from './admin-users.service';
import type { AdminUser } from './admin-user.entity';
import { totpStep } from './totp';

export const ADMIN_IDLE_TIMEOUT_MS = 15 * 60 * 1000;
export const ADMIN_SESSION_MAX_MS = 12 * 3600 * 1000;

export interface AdminTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export type SessionState = 'active' | 'idle' | 'revoked';

// A revoked session's marker outlives the session's longest life plus its last access token.
const REVOKED_MARKER_MS = ADMIN_SESSION_MAX_MS + 3600 * 1000;

/**
 * KEYS: activity, revoked marker; ARGV: now, idle timeout, activity ttl (ms), record ('1' or '0').
 * Answers the session state and, only when active and asked to, records the activity, all in one
 * atomic step.
 */
const TOUCH_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 'revoked' end
local last = redis.call('GET', KEYS[1])
if not last then return 'revoked' end
if tonumber(ARGV[1]) - tonumber(last) > tonumber(ARGV[2]) then return 'idle' end
if ARGV[4] == '1' then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3]) end
return 'active'
`;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Admin login (password + TOTP), rotating refresh tokens with reuse detection, and the 15-minute
 * idle logoff. Last activity lives in Redis so every API process sees the same session clock.
 */
@Injectable()
export class AdminSessionsService {
  private readonly dummyHash = argon2.hash('timing-equaliser-not-a-password', ARGON2_OPTIONS);

  constructor(
    private readonly em: EntityManager,
    private readonly users: AdminUsersService,
    private readonly issuer: TokenIssuerService,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async login(
    request: FastifyRequest,
    input: { email: string; password: string; totp: string },
  ): Promise<AdminTokens> {
    const refreshToken = randomBytes(32).toString('base64url');
    const { user, sessionId } = await this.openSession(request, input, (em, id) =>
      em.insert(AdminRefreshToken, {
        tokenHash: hashToken(refreshToken),
        sessionId: id,
        status: 'active',
        createdAt: this.clock.now(),
      }),
    );
    return this.tokensFor(user, sessionId, refreshToken);
  }

  /**
   * The login itself, whatever carries the session afterwards (bearer tokens, or the queue
   * dashboard's cookie): password, TOTP (each code once), the session row and its audit event, and
   * the session's first activity. Every refusal is audited and counted towards the auth alerts.
   * `alongside` writes in the session's own transaction (the bearer login's first refresh token).
   */
  async openSession(
    request: FastifyRequest,
    input: { email: string; password: string; totp: string },
    alongside?: (em: EntityManager, sessionId: string) => Promise<unknown>,
  ): Promise<{ user: AdminUser; sessionId: string }> {
    const user = await this.users.findActiveByEmail(input.email);
    // Verify against a dummy hash for unknown users, so timing does not reveal which emails exist.
    const passwordOk = await argon2
      .verify(user?.passwordHash ?? (await this.dummyHash), input.password)
      .catch(() => false);
    if (!user || !passwordOk) return this.refuseLogin(request, user, 'bad_password');
    const step = totpStep(input.totp, await this.users.totpSecretOf(user), this.clock.nowMs());
    if (step === null) return this.refuseLogin(request, user, 'bad_totp');
    const fresh = await this.redis.set(this.key('totp-used', `${user.id}:${step}`), '1', 'EX', 120, 'NX');
    if (fresh !== 'OK') return this.refuseLogin(request, user, 'totp_replayed');

    const sessionId = newId('session');
    const now = this.clock.now();
    await this.em.fork().transactional(async (em) => {
      await em.insert(AdminSession, {
        id: sessionId,
        adminUserId: user.id,
        status: 'active',
        revokedReason: null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + ADMIN_SESSION_MAX_MS),
      });
      await alongside?.(em, sessionId);
      await this.audit.record(em, {
        ...this.meta(request, user.id),
        action: 'admin.login',
        resourceType: 'admin_session',
        resourceIds: [sessionId],
        outcome: 'success',
        statusCode: 200,
      });
    });
    await this.markActive(sessionId);
    return { user, sessionId };
  }

  /** Exchanges a refresh token for a new pair. A spent token presented again revokes the whole session. */
  async refresh(request: FastifyRequest, presented: string): Promise<AdminTokens> {
    const em = this.em.fork();
    const token = await em.findOne(AdminRefreshToken, { tokenHash: hashToken(presented) });
    if (!token) return this.refuseRefresh(request, null, 'unknown_refresh_token');
    const session = await em.findOne(AdminSession, { id: token.sessionId });
    if (!session || session.status !== 'active')
      return this.refuseRefresh(request, session, 'session_revoked');
    if (token.status === 'used') {
      await this.revoke(session.id, 'refresh_token_reuse');
      await this.alerts.raise('refresh_token_reuse', 'high', `admin:${session.adminUserId}`, {
        sessionId: session.id,
      });
      return this.refuseRefresh(request, session, 'refresh_token_reuse');
    }
    if (session.expiresAt <= this.clock.now()) {
      await this.revoke(session.id, 'session_expired');
      return this.refuseRefresh(request, session, 'session_expired');
    }
    const state = await this.touch(session.id);
    if (state !== 'active')
      return this.refuseRefresh(request, session, state === 'idle' ? 'idle_timeout' : 'session_revoked');
    const user = await this.users.findActive(session.adminUserId);
    if (!user) return this.refuseRefresh(request, session, 'admin_disabled');

    const next = randomBytes(32).toString('base64url');
    const rotated = await em.transactional(async (tx) => {
      // Only one exchange of a token can win, even when two arrive at once.
      const spent = await tx.nativeUpdate(
        AdminRefreshToken,
        { tokenHash: token.tokenHash, status: 'active' },
        { status: 'used' },
      );
      if (spent !== 1) return false;
      await tx.insert(AdminRefreshToken, {
        tokenHash: hashToken(next),
        sessionId: session.id,
        status: 'active',
        createdAt: this.clock.now(),
      });
      await this.audit.record(tx, {
        ...this.meta(request, user.id),
        action: 'admin.refresh',
        resourceType: 'admin_session',
        resourceIds: [session.id],
        outcome: 'success',
        statusCode: 200,
      });
      return true;
    });
    if (!rotated) {
      await this.revoke(session.id, 'refresh_token_reuse');
      return this.refuseRefresh(request, session, 'refresh_token_reuse');
    }
    return this.tokensFor(user, session.id, next);
  }

  /**
   * Records activity on a session and tells whether it may continue. Idle for more than 15
   * minutes (by the injected clock) ends the session; a session unknown to Redis is treated as ended.
   * Read and write are one Lua script, so a revoke can never land between them and be overwritten.
   * With `record: false` the session is checked (and ended when idle) without counting as activity:
   * the queue dashboard's background polling must not keep an unattended session alive.
   */
  async touch(sessionId: string, options: { record?: boolean } = {}): Promise<SessionState> {
    const state = (await this.redis.eval(
      TOUCH_SCRIPT,
      2,
      this.sessionKey(sessionId, 'activity'),
      this.sessionKey(sessionId, 'revoked'),
      String(this.clock.nowMs()),
      String(ADMIN_IDLE_TIMEOUT_MS),
      String(ADMIN_SESSION_MAX_MS),
      options.record === false ? '0' : '1',
    )) as SessionState;
    if (state === 'idle') await this.revoke(sessionId, 'idle_timeout');
    return state;
  }

  async revoke(sessionId: string, reason: string): Promise<void> {
    // The marker goes in with the delete (one MULTI), and outlives every token the session issued.
    const results = await this.redis
      .multi()
      .set(this.sessionKey(sessionId, 'revoked'), reason, 'PX', REVOKED_MARKER_MS)
      .del(this.sessionKey(sessionId, 'activity'))
      .exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('the session revocation did not run');
    await this.em
      .fork()
      .nativeUpdate(
        AdminSession,
        { id: sessionId, status: 'active' },
        { status: 'revoked', revokedReason: reason },
      );
  }

  /** Ends every live session of an admin (disabled): its access and refresh tokens fail at once. */
  async revokeAllOf(adminUserId: string, reason: string): Promise<number> {
    const sessions = await this.em
      .fork()
      .find(AdminSession, { adminUserId, status: 'active' }, { fields: ['id'] });
    for (const session of sessions) await this.revoke(session.id, reason);
    return sessions.length;
  }

  private async markActive(sessionId: string): Promise<void> {
    await this.redis.set(
      this.sessionKey(sessionId, 'activity'),
      String(this.clock.nowMs()),
      'PX',
      ADMIN_SESSION_MAX_MS,
    );
  }

  private async tokensFor(user: AdminUser, sessionId: string, refreshToken: string): Promise<AdminTokens> {
    const token = await this.issuer.issueAdminToken({
      adminId: user.id,
      sessionId,
      scopes: ADMIN_ROLE_SCOPES[user.role],
    });
    return { accessToken: token.accessToken, refreshToken, expiresIn: token.expiresIn };
  }

  private async refuseLogin(request: FastifyRequest, user: AdminUser | null, reason: string): Promise<never> {
    await this.audit.recordStandalone({
      ...this.meta(request, user?.id ?? null),
      action: 'admin.login',
      outcome: 'failure',
      statusCode: 401,
      reason,
    });
    await this.alerts.countAuthFailure([`ip:${request.ip}`, ...(user ? [`admin:${user.id}`] : [])]);
    throw new AuthenticationFailed(reason);
  }

  private async refuseRefresh(
    request: FastifyRequest,
    session: AdminSession | null,
    reason: string,
  ): Promise<never> {
    await this.audit.recordStandalone({
      ...this.meta(request, session?.adminUserId ?? null),
      action: 'admin.refresh',
      resourceType: 'admin_session',
      resourceIds: session ? [session.id] : null,
      outcome: 'failure',
      statusCode: 401,
      reason,
    });
    await this.alerts.countAuthFailure([`ip:${request.ip}`]);
    throw new AuthenticationFailed(reason);
  }

  private meta(request: FastifyRequest, adminId: string | null): Omit<AuditRecord, 'action' | 'outcome'> {
    const base = auditActor({ request: requestMeta(request) });
    return adminId ? { ...base, actorType: 'admin', actorId: adminId } : base;
  }

  private key(kind: string, id: string): string {
    return `${this.config.redis.keyPrefix}:${kind}:${id}`;
  }

  // One hash tag per session: the touch script and the revoke MULTI use both keys, so they must
  // share a Redis Cluster slot.
  private sessionKey(sessionId: string, kind: 'activity' | 'revoked'): string {
    return `${this.config.redis.keyPrefix}:admin-session:{${sessionId}}:${kind}`;
  }
}
