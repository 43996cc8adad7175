import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core';
import { PATH_METADATA } from '@nestjs/common/constants';
import { exportJWK, SignJWT, type JWK } from 'jose';
import { custom, Issuer } from 'openid-client';
import { ADMIN_SCOPES, ManualClock, PARTNER_SCOPES, PUBLIC_KEY, SCOPES_KEY } from '@app/common';
import { SigningKeysService, totpCode } from '@app/identity';
import { ProbeSyncModule } from './support/probe/probe.controller';
import {
  adminPost,
  createClient,
  insertMember,
  loginAdmin,
  setupPartner,
  sql,
  type AdminSession,
  type PartnerSetup,
} from './support/identity-fixtures';
import { startTestApi, testTlsFiles, type TestApi } from './support/test-app';

const MINUTE = 60_000;

describe('identity and access control', () => {
  // Starts at real time: openid-client signs its client assertions with the real clock.
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let oidc: Awaited<ReturnType<typeof startOidcStandIn>>;
  let officer: AdminSession;
  let security: AdminSession;
  let setup: PartnerSetup;
  let memberId: string;
  let foreignMemberId: string;
  let secretClient: { clientId: string; clientSecret?: string };

  beforeAll(async () => {
    oidc = await startOidcStandIn();
    api = await startTestApi({
      clock,
      imports: [ProbeSyncModule, DiscoveryModule],
      env: {
        ADMIN_OIDC_ISSUER: 'https://idp.example.test',
        ADMIN_OIDC_JWKS_URL: `${oidc.url}/jwks`,
        ADMIN_OIDC_AUDIENCE: 'member-sync-admin',
        AUTH_FAILURE_ALERT_THRESHOLD: '1000',
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
      },
    });
    custom.setHttpOptionsDefaults({ ca: readFileSync(testTlsFiles().cert), timeout: 5000 });
    officer = await loginAdmin(api, clock, 'compliance_officer');
    security = await loginAdmin(api, clock, 'security_admin');
    setup = await setupPartner(api, officer.accessToken, { type: 'benefits_admin' });
    memberId = await insertMember(api, setup.organizationId);
    foreignMemberId = await insertMember(api, setup.otherOrganizationId);
    secretClient = await createClient(api, security.accessToken, setup.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['members:read', 'members.preferences:write'],
    });
  });
  afterAll(async () => {
    await api.close();
    oidc.server.close();
  });

  async function auditReasons(action: string): Promise<string[]> {
    const rows = await sql<{ reason: string }>(api, `select reason from audit_event where action = $1`, [
      action,
    ]);
    return rows.map((r) => r.reason);
  }

  async function partnerToken(scope?: string): Promise<string> {
    const issuer = await Issuer.discover(`${api.baseUrl}/.well-known/oauth-authorization-server`);
    const client = new issuer.Client({
      client_id: secretClient.clientId,
      client_secret: secretClient.clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
    });
    return (await client.grant({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }))
      .access_token!;
  }

  const getMember = (token: string, id = memberId) =>
    api.http().get(`/api/v1/members/${id}`).set('authorization', `Bearer ${token}`);

  describe('OAuth client credentials (openid-client)', () => {
    it('issues a token by client_secret_basic that reads a member of a linked organization', async () => {
      const token = await partnerToken('members:read');
      const res = await getMember(token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: memberId,
        organizationId: setup.organizationId,
        status: 'active',
      });
      expect(await auditReasons('token.issue')).toContain(null);
    });

    it('issues a token by private_key_jwt', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const publicJwk = { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid: 'partner-key-1' };
      const privateJwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'partner-key-1' };
      const jwtClient = await createClient(api, security.accessToken, setup.partnerId, {
        authMethod: 'private_key_jwt',
        scopes: ['members:read'],
        jwks: { keys: [publicJwk] },
      });
      expect(jwtClient.clientSecret).toBeUndefined();
      const issuer = await Issuer.discover(`${api.baseUrl}/.well-known/oauth-authorization-server`);
      const client = new issuer.Client(
        {
          client_id: jwtClient.clientId,
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
        },
        { keys: [privateJwk] },
      );
      const tokenSet = await client.grant({ grant_type: 'client_credentials' });
      expect(tokenSet.token_type?.toLowerCase()).toBe('bearer');
      expect(tokenSet.expires_in).toBeLessThanOrEqual(900);
      expect((await getMember(tokenSet.access_token!)).status).toBe(200);
    });

    it('refuses a wrong client secret with invalid_client and audits it', async () => {
      const issuer = await Issuer.discover(`${api.baseUrl}/.well-known/oauth-authorization-server`);
      const client = new issuer.Client({
        client_id: secretClient.clientId,
        client_secret: 'not-the-secret',
        token_endpoint_auth_method: 'client_secret_basic',
      });
      await expect(client.grant({ grant_type: 'client_credentials' })).rejects.toMatchObject({
        error: 'invalid_client',
      });
      expect(await auditReasons('token.issue')).toContain('bad_client_secret');
    });

    it('refuses scopes the client does not hold', async () => {
      const issuer = await Issuer.discover(`${api.baseUrl}/.well-known/oauth-authorization-server`);
      const client = new issuer.Client({
        client_id: secretClient.clientId,
        client_secret: secretClient.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
      });
      await expect(
        client.grant({ grant_type: 'client_credentials', scope: 'sync:write' }),
      ).rejects.toMatchObject({
        error: 'invalid_scope',
      });
    });

    it('publishes RFC 8414 metadata and a JWKS of ES256 public keys only', async () => {
      const metadata = await api.http().get('/.well-known/oauth-authorization-server');
      expect(metadata.body).toMatchObject({
        issuer: api.baseUrl,
        token_endpoint: `${api.baseUrl}/oauth/token`,
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
      });
      const jwks = await api.http().get('/.well-known/jwks.json');
      expect(jwks.body.keys.length).toBeGreaterThan(0);
      for (const key of jwks.body.keys) {
        expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
        expect(key.d).toBeUndefined();
      }
    });
  });

  describe('object-level authorization', () => {
    it('answers a member of an unlinked organization exactly like a missing one, and audits the refusal', async () => {
      const token = await partnerToken('members:read');
      const forbidden = await getMember(token, foreignMemberId);
      const missing = await getMember(token, 'mbr_00000000000000000000000000');
      expect(forbidden.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(forbidden.body.type).toBe(missing.body.type);
      expect(forbidden.body.detail).toBe(missing.body.detail);
      const rows = await sql(api, `select outcome, reason from audit_event where $1 = any(resource_ids)`, [
        foreignMemberId,
      ]);
      expect(rows).toEqual([{ outcome: 'denied', reason: 'organization_not_linked' }]);
    });
  });

  describe('refused tokens (401, audited)', () => {
    async function expectRefused(token: string, reason: string) {
      const res = await getMember(token);
      expect(res.status).toBe(401);
      expect(res.body.type).toMatch(/unauthorized$/);
      expect(res.text).not.toContain(reason);
      expect(await auditReasons('access.authenticate')).toContain(reason);
    }

    async function signWithOurKey(claims: Record<string, unknown>, audience: string) {
      const { kid, privateKey } = await api.app.get(SigningKeysService).activeSigner();
      const now = clock.nowSeconds();
      return new SignJWT({ scope: 'members:read', client_id: secretClient.clientId, ...claims })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
        .setIssuer(api.baseUrl)
        .setAudience(audience)
        .setSubject(secretClient.clientId)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .setJti(randomUUID())
        .sign(privateKey);
    }

    it('refuses an expired token', async () => {
      const token = await partnerToken('members:read');
      const later = new ManualClock(clock.nowMs());
      clock.advance(16 * MINUTE);
      try {
        await expectRefused(token, 'token_expired');
      } finally {
        clock.set(later.now());
      }
    });

    it('refuses a token signed by an unknown key', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const now = clock.nowSeconds();
      const token = await new SignJWT({ scope: 'members:read' })
        .setProtectedHeader({ alg: 'ES256', kid: 'not-our-key' })
        .setIssuer(api.baseUrl)
        .setAudience(`${api.baseUrl}/api/v1`)
        .setSubject(secretClient.clientId)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .setJti(randomUUID())
        .sign(privateKey);
      await expectRefused(token, 'unknown_signing_key');
    });

    it('refuses a token that names our key but carries another signature', async () => {
      const { kid } = await api.app.get(SigningKeysService).activeSigner();
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const now = clock.nowSeconds();
      const token = await new SignJWT({ scope: 'members:read' })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(api.baseUrl)
        .setAudience(`${api.baseUrl}/api/v1`)
        .setSubject(secretClient.clientId)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .setJti(randomUUID())
        .sign(privateKey);
      await expectRefused(token, 'bad_signature');
    });

    it('refuses alg: none', async () => {
      const { kid } = await api.app.get(SigningKeysService).activeSigner();
      const now = clock.nowSeconds();
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const token = `${part({ alg: 'none', kid, typ: 'JWT' })}.${part({
        iss: api.baseUrl,
        aud: `${api.baseUrl}/api/v1`,
        sub: secretClient.clientId,
        scope: 'members:read',
        jti: randomUUID(),
        iat: now,
        exp: now + 600,
      })}.`;
      await expectRefused(token, 'algorithm_not_allowed');
    });

    it('refuses an HS256 token whose HMAC key is our public key', async () => {
      const { kid } = await api.app.get(SigningKeysService).activeSigner();
      const jwks = (await api.http().get('/.well-known/jwks.json')).body.keys as JWK[];
      const { createPublicKey } = await import('node:crypto');
      const publicPem = createPublicKey({ key: jwks.find((k) => k.kid === kid) as never, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString();
      const now = clock.nowSeconds();
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const signingInput = `${part({ alg: 'HS256', kid, typ: 'JWT' })}.${part({
        iss: api.baseUrl,
        aud: `${api.baseUrl}/api/v1`,
        sub: secretClient.clientId,
        scope: 'members:read',
        jti: randomUUID(),
        iat: now,
        exp: now + 600,
      })}`;
      const token = `${signingInput}.${createHmac('sha256', publicPem).update(signingInput).digest('base64url')}`;
      await expectRefused(token, 'algorithm_not_allowed');
    });

    it('refuses our own token minted for another audience', async () => {
      await expectRefused(await signWithOurKey({}, 'https://other-api.example.test'), 'audience_mismatch');
    });

    it('refuses a revoked token (RFC 7009)', async () => {
      const token = await partnerToken('members:read');
      expect((await getMember(token)).status).toBe(200);
      const revoke = await api
        .http()
        .post('/oauth/revoke')
        .auth(secretClient.clientId, secretClient.clientSecret!)
        .type('form')
        .send({ token });
      expect(revoke.status).toBe(200);
      await expectRefused(token, 'token_revoked');
    });

    it('refuses a request without credentials', async () => {
      const res = await api.http().get(`/api/v1/members/${memberId}`);
      expect(res.status).toBe(401);
    });
  });

  describe('authorization refusals (403)', () => {
    it('refuses a token without the route scope', async () => {
      const token = await partnerToken('members.preferences:write');
      const res = await getMember(token);
      expect(res.status).toBe(403);
      expect(await auditReasons('access.authorize')).toContain('missing_scope');
    });

    it('refuses a partner token on an admin route', async () => {
      const token = await partnerToken();
      const res = await adminPost(api, token, '/api/v1/admin/organizations', { name: 'x' });
      expect(res.status).toBe(403);
      expect(await auditReasons('access.authorize')).toContain('partner_on_admin_route');
    });

    it('refuses an admin role without the scope', async () => {
      const res = await adminPost(
        api,
        officer.accessToken,
        `/api/v1/admin/partners/${setup.partnerId}/clients`,
        {
          authMethod: 'client_secret_basic',
          scopes: ['members:read'],
        },
      );
      expect(res.status).toBe(403);
    });

    it('refuses to grant a carrier more than eligibility', async () => {
      const carrier = await setupPartner(api, officer.accessToken, {
        type: 'carrier',
        categories: ['coverage'],
      });
      const res = await adminPost(
        api,
        security.accessToken,
        `/api/v1/admin/partners/${carrier.partnerId}/clients`,
        {
          authMethod: 'client_secret_basic',
          scopes: ['members:read'],
        },
      );
      expect(res.status).toBe(422);
    });

    it("refuses a partner whose categories exceed its vendor's BAA", async () => {
      const vendor = await adminPost(api, officer.accessToken, '/api/v1/admin/vendors', {
        name: 'Narrow BAA vendor',
        role: 'partner',
        baa: {
          status: 'signed',
          signedAt: '2026-01-02',
          effectiveFrom: '2026-01-02',
          documentSha256: 'a'.repeat(64),
          permittedCategories: ['coverage'],
        },
      });
      const res = await adminPost(api, officer.accessToken, '/api/v1/admin/partners', {
        name: 'Too greedy',
        vendorId: vendor.body.id,
        type: 'wellness_app',
        organizationIds: [setup.organizationId],
        categories: ['coverage', 'government_id'],
        purpose: 'wellness',
        requiresConsent: true,
      });
      expect(res.status).toBe(422);
      expect(res.body.detail).toContain('government_id');
    });
  });

  describe('admin sessions', () => {
    it('refuses an admin without MFA (external OIDC token lacking an MFA amr) and admits one with it', async () => {
      const withoutMfa = await oidcToken(oidc, officer.email, ['pwd']);
      const refused = await adminPost(api, withoutMfa, '/api/v1/admin/organizations', { name: 'Acme' });
      expect(refused.status).toBe(403);
      expect(refused.body.detail).toContain('MFA');
      expect(await auditReasons('access.authorize')).toContain('mfa_required');
      const withMfa = await oidcToken(oidc, officer.email, ['pwd', 'mfa']);
      expect((await adminPost(api, withMfa, '/api/v1/admin/organizations', { name: 'Acme' })).status).toBe(
        201,
      );
    });

    it('refuses a login with a wrong TOTP code and a replayed one', async () => {
      const res = await api
        .http()
        .post('/api/v1/admin/session')
        .send({ email: officer.email, password: officer.password, totp: '000000' });
      expect(res.status).toBe(401);
      expect(await auditReasons('admin.login')).toContain('bad_totp');

      const fresh = await loginAdmin(api, clock, 'operator');
      const replay = await api
        .http()
        .post('/api/v1/admin/session')
        .send({
          email: fresh.email,
          password: fresh.password,
          totp: totpCode(fresh.totpSecret, clock.nowMs()),
        });
      expect(replay.status).toBe(401);
      expect(await auditReasons('admin.login')).toContain('totp_replayed');
    });

    it('logs an admin off after 16 idle minutes (by the test clock)', async () => {
      const session = await loginAdmin(api, clock, 'compliance_officer');
      clock.advance(14 * MINUTE);
      expect(
        (await adminPost(api, session.accessToken, '/api/v1/admin/organizations', { name: 'Active' })).status,
      ).toBe(201);
      clock.advance(16 * MINUTE);
      const refresh = await api
        .http()
        .post('/api/v1/admin/session/refresh')
        .send({ refreshToken: session.refreshToken });
      expect(refresh.status).toBe(401);
      expect(await auditReasons('admin.refresh')).toContain('idle_timeout');
    });

    it('refuses an idle session even while its access token is unexpired', async () => {
      const session = await loginAdmin(api, clock, 'compliance_officer');
      // Refresh at 10 minutes gives a fresh access token but leaves the session's activity clock.
      clock.advance(10 * MINUTE);
      const refreshed = await api
        .http()
        .post('/api/v1/admin/session/refresh')
        .send({ refreshToken: session.refreshToken });
      expect(refreshed.status).toBe(200);
      clock.advance(15 * MINUTE + 30_000);
      const res = await adminPost(api, refreshed.body.accessToken, '/api/v1/admin/organizations', {
        name: 'Late',
      });
      expect(res.status).toBe(401);
      expect(await auditReasons('access.authenticate')).toContain('idle_timeout');
    });

    it('rotates refresh tokens and revokes the whole family when a spent one is reused', async () => {
      const session = await loginAdmin(api, clock, 'compliance_officer');
      const first = await api
        .http()
        .post('/api/v1/admin/session/refresh')
        .send({ refreshToken: session.refreshToken });
      expect(first.status).toBe(200);
      expect(first.body.refreshToken).not.toBe(session.refreshToken);
      const reuse = await api
        .http()
        .post('/api/v1/admin/session/refresh')
        .send({ refreshToken: session.refreshToken });
      expect(reuse.status).toBe(401);
      // The family is gone: the newest refresh token and the access token it came with stop working.
      const next = await api
        .http()
        .post('/api/v1/admin/session/refresh')
        .send({ refreshToken: first.body.refreshToken });
      expect(next.status).toBe(401);
      expect(
        (await adminPost(api, first.body.accessToken, '/api/v1/admin/organizations', { name: 'x' })).status,
      ).toBe(401);
      const [alert] = await sql(api, `select type, subject from alert where type = 'refresh_token_reuse'`);
      expect(alert).toEqual({ type: 'refresh_token_reuse', subject: `admin:${session.id}` });
    });
  });

  describe('API keys', () => {
    let membershipSystem: PartnerSetup;

    beforeAll(async () => {
      // Earlier suites moved the clock past the first sessions' lifetime.
      officer = await loginAdmin(api, clock, 'compliance_officer');
      security = await loginAdmin(api, clock, 'security_admin');
      membershipSystem = await setupPartner(api, officer.accessToken, { type: 'membership_system' });
    });

    async function createKey(allowedCidrs: string[]) {
      const res = await adminPost(
        api,
        security.accessToken,
        `/api/v1/admin/partners/${membershipSystem.partnerId}/api-keys`,
        {
          scopes: ['sync:write'],
          allowedCidrs,
        },
      );
      expect(res.status).toBe(201);
      return res.body as { id: string; key: string };
    }

    it('accepts a key from its allow-list and stores only its hash', async () => {
      const { id, key } = await createKey(['127.0.0.1/32']);
      const res = await api.http().post('/api/v1/probe-sync').set('x-api-key', key).send({});
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ kind: 'api_key', partnerId: membershipSystem.partnerId });
      const [row] = await sql<{ secret_hash: string }>(api, 'select secret_hash from api_key where id = $1', [
        id,
      ]);
      // The secret is base64url and may itself hold '_': everything after the lookup prefix.
      const secret = key.slice('msk_'.length + 12 + 1);
      expect(secret).toHaveLength(43);
      expect(row.secret_hash).not.toContain(secret);
    });

    it('refuses a key used from outside its allow-list, even with a spoofed X-Forwarded-For, and raises an alert', async () => {
      const { id, key } = await createKey(['10.20.0.0/16']);
      const res = await api
        .http()
        .post('/api/v1/probe-sync')
        .set('x-api-key', key)
        .set('x-forwarded-for', '10.20.1.1')
        .send({});
      expect(res.status).toBe(401);
      expect(await auditReasons('access.authenticate')).toContain('api_key_ip_not_allowed');
      const alerts = await sql(api, `select type from alert where subject = $1`, [`api_key:${id}`]);
      expect(alerts).toEqual([{ type: 'api_key_outside_allowlist' }]);
    });

    it('refuses an API key on a route that needs another scope', async () => {
      const { key } = await createKey(['127.0.0.1/32']);
      const res = await api.http().get(`/api/v1/members/${memberId}`).set('x-api-key', key);
      expect(res.status).toBe(403);
    });

    it('keeps a rotated key working through the overlap, then refuses it', async () => {
      const old = await createKey(['127.0.0.1/32']);
      const rotated = await adminPost(
        api,
        security.accessToken,
        `/api/v1/admin/partners/${membershipSystem.partnerId}/api-keys/${old.id}/rotate`,
        {},
      );
      expect(rotated.status).toBe(201);
      expect((await api.http().post('/api/v1/probe-sync').set('x-api-key', old.key).send({})).status).toBe(
        200,
      );
      expect(
        (await api.http().post('/api/v1/probe-sync').set('x-api-key', rotated.body.key).send({})).status,
      ).toBe(200);
      clock.advance(25 * 3600 * 1000);
      expect((await api.http().post('/api/v1/probe-sync').set('x-api-key', old.key).send({})).status).toBe(
        401,
      );
      // An expired key cannot be revived by rotating it again (a fresh admin session: a day has passed).
      const securityNow = await loginAdmin(api, clock, 'security_admin');
      const revive = await adminPost(
        api,
        securityNow.accessToken,
        `/api/v1/admin/partners/${membershipSystem.partnerId}/api-keys/${old.id}/rotate`,
        {},
      );
      expect(revive.status).toBe(404);
      expect(
        (await api.http().post('/api/v1/probe-sync').set('x-api-key', rotated.body.key).send({})).status,
      ).toBe(200);
    });

    it('refuses a forged key', async () => {
      const res = await api
        .http()
        .post('/api/v1/probe-sync')
        .set('x-api-key', `msk_${'A'.repeat(12)}_${'b'.repeat(43)}`)
        .send({});
      expect(res.status).toBe(401);
    });
  });

  describe('route declarations', () => {
    it('every route declares @Scopes or @Public', async () => {
      const discovery = api.app.get(DiscoveryService);
      const scanner = api.app.get(MetadataScanner);
      const undeclared: string[] = [];
      let checked = 0;
      for (const wrapper of discovery.getControllers()) {
        const { instance, metatype } = wrapper;
        if (!instance || !metatype) continue;
        const proto = Object.getPrototypeOf(instance) as object;
        for (const name of scanner.getAllMethodNames(proto)) {
          const handler = (proto as Record<string, unknown>)[name] as object;
          if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
          checked += 1;
          const declared = [handler, metatype].some(
            (t) =>
              Reflect.getMetadata(SCOPES_KEY, t) !== undefined || Reflect.getMetadata(PUBLIC_KEY, t) === true,
          );
          if (!declared) undeclared.push(`${metatype.name}.${name}`);
        }
      }
      // A scan that finds no routes (a changed metadata key, a lost controller) must not pass as
      // "nothing undeclared": every operation the service documents must have been looked at.
      const doc = (await api.http().get('/api/openapi.json')).body;
      const operations = Object.values<Record<string, unknown>>(doc.paths).flatMap((item) =>
        Object.keys(item),
      );
      expect(operations.length).toBeGreaterThan(10);
      expect(checked).toBeGreaterThanOrEqual(operations.length);
      expect(undeclared).toEqual([]);
    });

    it('every operation in the OpenAPI document declares its security scheme and scopes', async () => {
      const doc = (await api.http().get('/api/openapi.json')).body;
      const known = new Set<string>([...PARTNER_SCOPES, ...ADMIN_SCOPES]);
      const problems: string[] = [];
      for (const [path, item] of Object.entries<Record<string, Record<string, unknown>>>(doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          if (op['x-public'] === true) continue;
          const security = op.security as Array<Record<string, string[]>> | undefined;
          const scopes = op['x-required-scopes'] as string[] | undefined;
          if (!security?.length || !scopes?.length || !scopes.every((s) => known.has(s)))
            problems.push(`${method} ${path}`);
          for (const requirement of security ?? []) {
            for (const scheme of Object.keys(requirement)) {
              if (!doc.components.securitySchemes[scheme])
                problems.push(`${method} ${path}: unknown scheme ${scheme}`);
            }
          }
        }
      }
      expect(problems).toEqual([]);
      expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
    });
  });
});

async function startOidcStandIn() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = 'idp-key-1';
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}`, privateKey, kid };
}

async function oidcToken(idp: Awaited<ReturnType<typeof startOidcStandIn>>, email: string, amr: string[]) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ email, amr })
    .setProtectedHeader({ alg: 'ES256', kid: idp.kid })
    .setIssuer('https://idp.example.test')
    .setAudience('member-sync-admin')
    .setSubject(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 3600 * 24 * 3)
    .sign(idp.privateKey);
}
