import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { faker } from '@faker-js/faker';
import { DATA_CATEGORIES, ManualClock } from '@app/common';
import { createClient, loginAdmin, setupPartner, type AdminSession } from './support/identity-fixtures';
import { clientToken, createMember, syntheticMember } from './support/member-fixtures';
import { startTestApi, testTlsFiles, type TestApi } from './support/test-app';

faker.seed(9090);

// What helmet 8 answers for our options (HSTS one year with subdomains, our CSP directives over its
// defaults), written out here so a change to how the headers are set cannot quietly change them.
const HELMET_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';" +
    "frame-ancestors 'none';img-src 'self' data:;object-src 'none';script-src 'self';" +
    "script-src-attr 'none';style-src 'self' 'unsafe-inline';upgrade-insecure-requests",
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Frame-Options': 'SAMEORIGIN',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
};

// Headers helmet may set or remove, plus our own per-request pair: any of them on a response must be exactly ours.
const WATCHED = [...Object.keys(HELMET_HEADERS), 'Cross-Origin-Embedder-Policy', 'X-Powered-By'];

/** The watched headers as sent on the wire (name as written, value), one entry per header line. */
function securityHeaders(rawHeaders: string[]): Record<string, string> {
  const watched = new Set(WATCHED.map((name) => name.toLowerCase()));
  const found: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (!watched.has(name.toLowerCase())) continue;
    expect(found[name]).toBeUndefined(); // never sent twice
    found[name] = rawHeaders[i + 1];
  }
  return found;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
}

describe('security headers', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let operator: AdminSession;
  let memberRead: () => Promise<Answer>;

  // supertest's response keeps Node's own (its `res`), which has the header names as sent.
  const answer = async (pending: PromiseLike<unknown>): Promise<Answer> => {
    const { status, headers, res } = (await pending) as Omit<Answer, 'rawHeaders'> & {
      res: { rawHeaders: string[] };
    };
    return { status, headers, rawHeaders: res.rawHeaders };
  };

  /** Any method and path, as sent (supertest and Node's client refuse some of them). */
  const send = (method: string, path: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: Number(new URL(api.baseUrl).port),
          method,
          path,
          ca: readFileSync(testTlsFiles().cert),
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    api = await startTestApi({ clock });
    const officer = await loginAdmin(api, clock, 'compliance_officer');
    const security = await loginAdmin(api, clock, 'security_admin');
    operator = await loginAdmin(api, clock, 'operator');
    const source = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const client = await createClient(api, security.accessToken, source.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['sync:write', 'members:read', 'members:write'],
    });
    const token = await clientToken(api, client);
    const id = await createMember(api, token, syntheticMember(source.organizationId));
    memberRead = () =>
      answer(api.http().get(`/api/v1/members/${id}`).set('authorization', `Bearer ${token}`));
  });
  afterAll(() => api?.close());

  it.each([
    ['a member read', 200, () => memberRead()],
    ['an unknown route', 404, () => send('GET', '/api/v1/does-not-exist')],
    ['a read without a token', 401, () => send('GET', '/api/v1/members/mbr_none')],
    ['a method no route serves', 501, () => send('PROPPATCH', '/api/v1/members')],
    ['a path the router refuses', 400, () => send('GET', '/api/v1/members/%E0%A4%A')],
    ['broken JSON', 400, () => answer(api.http().post('/api/v1/members').type('json').send('{"a":'))],
    ['the Swagger UI page', 200, () => send('GET', '/api/docs')],
    ['the OpenAPI document', 200, () => send('GET', '/api/openapi.json')],
    [
      'the queue dashboard',
      200,
      () => answer(api.http().get('/admin/queues').set('authorization', `Bearer ${operator.accessToken}`)),
    ],
    ['a liveness probe', 200, () => send('GET', '/health/live')],
  ])('answers %s with exactly helmet’s headers and no X-Powered-By', async (_what, status, request) => {
    const res = await request();
    expect(res.status).toBe(status);
    expect(securityHeaders(res.rawHeaders)).toEqual(HELMET_HEADERS);
    expect(res.headers['cache-control']).toMatch(/no-store/);
  });
});
