import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { FastifyRequest } from 'fastify';
import { AuditService, auditActor } from '@app/audit';
import {
  ADMIN_ROLE_SCOPES,
  AppConfig,
  Clock,
  REDIS,
  requestMeta,
  type AdminPrincipal,
  type AdminScope,
} from '@app/common';
import { AuthenticationFailed } from '../identity.errors';
import { ADMIN_SESSION_MAX_MS, AdminSessionsService } from './admin-sessions.service';
import { AdminUsersService } from './admin-users.service';

/** 32 random bytes, base64url: what the session cookie carries. */
const HANDLE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
// Fixed and versioned: the CSRF token is a MAC of this label under the session's own handle.
const CSRF_LABEL = 'member-sync admin dashboard csrf v1';

interface BrowserSessionRecord {
  sessionId: string;
  adminId: string;
  /** The admin session's absolute end (ms since the epoch, by the injected clock). */
  expiresAtMs: number;
}

export interface BrowserSignIn {
  /** The opaque value of the session cookie; stored nowhere but in the browser. */
  handle: string;
  /** The session's CSRF token, for the script-readable XSRF-TOKEN cookie. */
  csrfToken: string;
  adminId: string;
  sessionId: string;
}

/**
 * Admin sessions carried by a browser cookie (the queue dashboard), on top of the ordinary admin
 * login: the same password, TOTP, audit, refusal counting and session row, and the same 15-minute
 * idle rule on the same Redis session clock, so a cookie works on every API process and dies with
 * its session however that session ends (idle, sign-out, admin disabled, 12-hour limit).
 *
 * The cookie holds a random handle; Redis keeps only its SHA-256, mapped to the session. The CSRF
 * token is an HMAC of a fixed label keyed with the handle: bound to the session, recomputed on each
 * request (nothing to store or distribute between processes), unguessable without the HttpOnly cookie.
 */
@Injectable()
export class AdminBrowserSessionsService {
  constructor(
    private readonly sessions: AdminSessionsService,
    private readonly users: AdminUsersService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async signIn(
    request: FastifyRequest,
    input: { email: string; password: string; totp: string },
  ): Promise<BrowserSignIn> {
    const { user, sessionId } = await this.sessions.openSession(request, input);
    const handle = randomBytes(32).toString('base64url');
    const record: BrowserSessionRecord = {
      sessionId,
      adminId: user.id,
      expiresAtMs: this.clock.nowMs() + ADMIN_SESSION_MAX_MS,
    };
    await this.redis.set(this.key(handle), JSON.stringify(record), 'PX', ADMIN_SESSION_MAX_MS);
    return { handle, csrfToken: this.csrfTokenFor(handle), adminId: user.id, sessionId };
  }

  /**
   * The admin behind a session cookie, checked afresh: the handle is known, the session neither
   * revoked nor idle nor past its 12 hours, the admin still active; scopes are the role's current
   * ones. `activity` says whether this request counts as the admin being active (a page opened, a
   * change made) or only reads in the background. Throws AuthenticationFailed with the reason.
   */
  async resolve(handle: string, options: { activity: boolean }): Promise<AdminPrincipal> {
    if (!HANDLE_PATTERN.test(handle)) throw new AuthenticationFailed('malformed_session_cookie');
    const key = this.key(handle);
    const stored = await this.redis.get(key);
    if (!stored) throw new AuthenticationFailed('unknown_session');
    const record = JSON.parse(stored) as BrowserSessionRecord;
    if (this.clock.nowMs() >= record.expiresAtMs) {
      await this.sessions.revoke(record.sessionId, 'session_expired');
      await this.redis.del(key);
      throw new AuthenticationFailed('session_expired');
    }
    const state = await this.sessions.touch(record.sessionId, { record: options.activity });
    if (state !== 'active') {
      await this.redis.del(key);
      throw new AuthenticationFailed(state === 'idle' ? 'idle_timeout' : 'session_revoked');
    }
    const user = await this.users.findActive(record.adminId);
    if (!user) throw new AuthenticationFailed('admin_disabled');
    return {
      kind: 'admin',
      id: user.id,
      role: user.role,
      scopes: new Set<AdminScope>(ADMIN_ROLE_SCOPES[user.role]),
      // Established with password and TOTP (openSession refuses anything less).
      mfa: true,
      sessionId: record.sessionId,
      source: 'local',
    };
  }

  /** Ends the session behind the cookie (every process sees it at once) and audits `admin.logout`. */
  async signOut(request: FastifyRequest, principal: AdminPrincipal, handle: string): Promise<void> {
    if (principal.sessionId) await this.sessions.revoke(principal.sessionId, 'signed_out');
    await this.redis.del(this.key(handle));
    await this.audit.recordStandalone({
      ...auditActor({ principal, request: requestMeta(request) }),
      action: 'admin.logout',
      resourceType: 'admin_session',
      resourceIds: principal.sessionId ? [principal.sessionId] : null,
      outcome: 'success',
      statusCode: 303,
    });
  }

  csrfTokenFor(handle: string): string {
    return createHmac('sha256', Buffer.from(handle, 'base64url')).update(CSRF_LABEL).digest('base64url');
  }

  /** Constant-time comparison of a presented CSRF token with the one the handle implies. */
  csrfTokenMatches(handle: string, presented: string | undefined): boolean {
    if (!presented) return false;
    const expected = Buffer.from(this.csrfTokenFor(handle));
    const given = Buffer.from(presented);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  // The SHA-256 of the handle, never the handle itself: a Redis dump or MONITOR yields no cookie.
  private key(handle: string): string {
    const digest = createHash('sha256').update(handle).digest('hex');
    return `${this.config.redis.keyPrefix}:admin-browser-session:${digest}`;
  }
}
