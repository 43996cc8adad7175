import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { ManualClock } from '@app/common';
import {
  createClient,
  insertMember,
  loginAdmin,
  setupPartner,
  sql,
  thumbprint,
} from './support/identity-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

interface ClientCertificate {
  cert: string;
  key: string;
}

/** A test CA with two client certificates it issued (synthetic, for this suite only). */
async function issueClientCertificates(): Promise<{
  caFile: string;
  bound: ClientCertificate;
  other: ClientCertificate;
}> {
  const caOptions = {
    keyType: 'ec' as const,
    curve: 'P-256' as const,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints' as const, cA: true, critical: true },
      { name: 'keyUsage' as const, keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  };
  const ca = await generate([{ name: 'commonName', value: 'member-sync test partner CA' }], caOptions);
  const issue = async (cn: string): Promise<ClientCertificate> => {
    const leaf = await generate([{ name: 'commonName', value: cn }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, critical: true },
        { name: 'extKeyUsage', clientAuth: true },
      ],
    });
    return { cert: leaf.cert, key: leaf.private };
  };
  const dir = mkdtempSync(join(tmpdir(), 'msync-mtls-'));
  const caFile = join(dir, 'partner-ca.pem');
  writeFileSync(caFile, ca.cert);
  return {
    caFile,
    bound: await issue('partner-a.example.test'),
    other: await issue('partner-b.example.test'),
  };
}

describe('mTLS certificate-bound tokens (RFC 8705)', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let certs: Awaited<ReturnType<typeof issueClientCertificates>>;
  let client: { clientId: string; clientSecret?: string };
  let memberId: string;

  beforeAll(async () => {
    certs = await issueClientCertificates();
    api = await startTestApi({
      clock,
      env: { TLS_CLIENT_CA_FILE: certs.caFile, AUTH_FAILURE_ALERT_THRESHOLD: '1000' },
    });
    const officer = await loginAdmin(api, clock, 'compliance_officer');
    const security = await loginAdmin(api, clock, 'security_admin');
    const setup = await setupPartner(api, officer.accessToken, { type: 'benefits_admin' });
    memberId = await insertMember(api, setup.organizationId);
    client = await createClient(api, security.accessToken, setup.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['members:read'],
      certificateThumbprint: thumbprint(certs.bound.cert),
    });
  });
  afterAll(() => api.close());

  const tokenRequest = (cert?: ClientCertificate) => {
    const req = api.http().post('/oauth/token').auth(client.clientId, client.clientSecret!).type('form');
    return (cert ? req.cert(cert.cert).key(cert.key) : req).send({ grant_type: 'client_credentials' });
  };

  it('binds the token to the presented certificate and honours it over that certificate', async () => {
    const res = await tokenRequest(certs.bound);
    expect(res.status).toBe(200);
    const claims = JSON.parse(Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString());
    expect(claims.cnf).toEqual({ 'x5t#S256': thumbprint(certs.bound.cert) });
    const read = await api
      .http()
      .get(`/api/v1/members/${memberId}`)
      .cert(certs.bound.cert)
      .key(certs.bound.key)
      .set('authorization', `Bearer ${res.body.access_token}`);
    expect(read.status).toBe(200);
  });

  it('refuses the bound token without the certificate, and with another certificate, and audits both', async () => {
    const token = (await tokenRequest(certs.bound)).body.access_token as string;
    const bare = await api.http().get(`/api/v1/members/${memberId}`).set('authorization', `Bearer ${token}`);
    expect(bare.status).toBe(401);
    const stolen = await api
      .http()
      .get(`/api/v1/members/${memberId}`)
      .cert(certs.other.cert)
      .key(certs.other.key)
      .set('authorization', `Bearer ${token}`);
    expect(stolen.status).toBe(401);
    const rows = await sql(
      api,
      `select count(*)::int as n from audit_event where reason = 'certificate_mismatch'`,
    );
    expect(rows[0]).toEqual({ n: 2 });
  });

  it('refuses to issue a token to a certificate-bound client that presents no or the wrong certificate', async () => {
    expect((await tokenRequest()).status).toBe(401);
    expect((await tokenRequest(certs.other)).status).toBe(401);
    expect((await tokenRequest()).body.error).toBe('invalid_client');
  });

  it('ignores a client certificate that does not chain to the configured CA', async () => {
    const stranger = await generate([{ name: 'commonName', value: 'self-signed stranger' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
    });
    const res = await tokenRequest({ cert: stranger.cert, key: stranger.private });
    expect(res.status).toBe(401);
  });
});
