import { faker } from '@faker-js/faker';
import type { FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { AuditModule } from '@app/audit';
import { ManualClock } from '@app/common';
import { CryptoModule } from '@app/crypto';
import { VendorsModule } from '@app/vendors';
import { startTestServices, type TestServices } from '../../../../test/support/test-services';
import { IdentityModule } from '../identity.module';
import { AdminSessionsService } from './admin-sessions.service';
import { AdminUsersService } from './admin-users.service';
import { totpCode } from './totp';

faker.seed(60606);

// Only what the service reads from a request for its audit event.
function loginRequest(): FastifyRequest {
  return {
    ip: '127.0.0.1',
    id: faker.string.uuid(),
    method: 'POST',
    headers: {},
    routeOptions: { url: '/api/v1/admin/session' },
  } as unknown as FastifyRequest;
}

describe('admin session revocation', () => {
  const clock = new ManualClock(Date.now());
  let services: TestServices;
  let sut: AdminSessionsService;

  beforeAll(async () => {
    services = await startTestServices({
      imports: [CryptoModule, AuditModule, VendorsModule, IdentityModule],
      clock,
    });
    sut = services.get(AdminSessionsService);
  });
  afterAll(async () => {
    await services?.close();
  });

  async function newSession(): Promise<string> {
    const email = faker.internet.email({ provider: 'example.test' }).toLowerCase();
    const password = faker.internet.password({ length: 20 });
    const created = await services.get(AdminUsersService).create({ email, password, role: 'operator' });
    // A fresh TOTP step per login: each step is accepted once.
    clock.advance(30_000);
    const tokens = await sut.login(loginRequest(), {
      email,
      password,
      totp: totpCode(created.totpSecret, clock.nowMs()),
    });
    return String(decodeJwt(tokens.accessToken).sid);
  }

  it('a revoke that lands between a touch’s read and its write leaves the session revoked', async () => {
    const sessionId = await newSession();
    // Both calls are issued in the same tick on one Redis connection: the touch's first command goes
    // out before the revoke's, and the touch's second step (if it has one) after the revoke's.
    const [touched] = await Promise.all([sut.touch(sessionId), sut.revoke(sessionId, 'test_revoke')]);
    expect(touched).toBe('active');
    expect(await sut.touch(sessionId)).toBe('revoked');
    clock.advance(60_000);
    expect(await sut.touch(sessionId)).toBe('revoked');
  });

  it('touch and revoke raced many times never leave a revoked session active', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 25; round++) {
      const sessionId = await newSession();
      const jitter = () =>
        new Promise((resolve) => setTimeout(resolve, faker.number.int({ min: 0, max: 2 })));
      await Promise.all([
        jitter().then(() => sut.touch(sessionId)),
        jitter().then(() => sut.revoke(sessionId, 'test_revoke')),
        jitter().then(() => sut.touch(sessionId)),
      ]);
      outcomes.push(await sut.touch(sessionId));
    }
    expect(new Set(outcomes)).toEqual(new Set(['revoked']));
  });
});
