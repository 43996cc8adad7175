import { randomBytes } from 'node:crypto';
import { mock } from 'jest-mock-extended';
import type { Redis } from 'ioredis';
import type { AuditService } from '@app/audit';
import { ManualClock, type AppConfig } from '@app/common';
import { AuthenticationFailed } from '../identity.errors';
import { AdminBrowserSessionsService } from './admin-browser-sessions.service';
import type { AdminSessionsService } from './admin-sessions.service';
import type { AdminUsersService } from './admin-users.service';

describe('AdminBrowserSessionsService', () => {
  const redis = mock<Redis>();
  const sut = new AdminBrowserSessionsService(
    mock<AdminSessionsService>(),
    mock<AdminUsersService>(),
    mock<AuditService>(),
    { redis: { keyPrefix: 't' } } as AppConfig,
    new ManualClock(0),
    redis,
  );
  const handle = () => randomBytes(32).toString('base64url');

  it("binds the CSRF token to the session: a session's own token matches, another's does not", () => {
    const mine = handle();
    const theirs = handle();
    expect(sut.csrfTokenMatches(mine, sut.csrfTokenFor(mine))).toBe(true);
    expect(sut.csrfTokenMatches(mine, sut.csrfTokenFor(theirs))).toBe(false);
    expect(sut.csrfTokenMatches(mine, undefined)).toBe(false);
    expect(sut.csrfTokenMatches(mine, '')).toBe(false);
    expect(sut.csrfTokenMatches(mine, `${sut.csrfTokenFor(mine)}x`)).toBe(false);
  });

  it('never reveals the handle in its CSRF token', () => {
    const mine = handle();
    expect(sut.csrfTokenFor(mine)).not.toContain(mine.slice(0, 8));
  });

  it('refuses a cookie value that is not a handle before asking Redis', async () => {
    await expect(sut.resolve('not a handle', { activity: true })).rejects.toBeInstanceOf(
      AuthenticationFailed,
    );
    expect(redis.get).not.toHaveBeenCalled();
  });
});
