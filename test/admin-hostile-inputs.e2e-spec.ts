import { ManualClock } from '@app/common';
import { loginAdmin, type AdminSession } from './support/identity-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

/**
 * "Never a 500 for anything a client can send", swept over every admin operation the OpenAPI
 * document lists (the compliance routes of issue 11 and the older ones alike): malformed path
 * parameters, bodies of the wrong shape, wrong types, deep nesting and an empty body, each sent
 * with a token whose role holds the route's scope so validation (not the scope check) answers.
 * Every answer must be a 4xx problem (or a success for a harmless request), never a 5xx.
 */
const HOSTILE_PARAMS = [
  'x',
  `inc_${'Z'.repeat(26)}`,
  '%00',
  '..%2F..%2Fetc',
  'a'.repeat(180),
  '%F0%9F%92%A9',
];
const HOSTILE_BODIES: Array<{ name: string; body: unknown }> = [
  { name: 'an array', body: [] },
  { name: 'a bare string', body: '"reason"' },
  { name: 'wrong types everywhere', body: { reason: 123, status: {}, memberId: [], kind: null, baa: 'x' } },
  { name: 'deep nesting', body: JSON.parse('{"a":'.repeat(60) + '1' + '}'.repeat(60)) as unknown },
  { name: 'an empty object', body: {} },
  { name: 'an unknown key', body: { reason: 'ticket 42', unexpected: true } },
];

describe('admin routes and the export download answer hostile input with a 4xx problem, never a 5xx', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let sessions: AdminSession[];
  let operations: Array<{ method: 'get' | 'post' | 'put' | 'delete'; path: string }>;

  beforeAll(async () => {
    // Hundreds of requests from two admins within a minute: the per-client budget is not what is tested.
    api = await startTestApi({
      clock,
      env: { RATE_LIMIT_CLIENT_PER_MINUTE: '100000', RATE_LIMIT_IP_PER_MINUTE: '100000' },
    });
    sessions = [
      await loginAdmin(api, clock, 'compliance_officer'),
      await loginAdmin(api, clock, 'security_admin'),
    ];
    const doc = (await api.http().get('/api/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    operations = Object.entries(doc.paths)
      // The admin API, and the member's one-time export download (public: its token is the credential).
      .filter(
        ([path]) =>
          (path.startsWith('/api/v1/admin/') && !path.startsWith('/api/v1/admin/session')) ||
          path.startsWith('/api/v1/rights-exports/'),
      )
      .flatMap(([path, item]) =>
        (['get', 'post', 'put', 'delete'] as const)
          .filter((m) => m in item)
          .map((method) => ({ method, path })),
      );
  });
  afterAll(async () => {
    await api?.close();
  });

  const send = (session: AdminSession, method: string, path: string, body?: unknown) => {
    const req = api
      .http()
      [method as 'get'](path)
      .set('authorization', `Bearer ${session.accessToken}`)
      .set('idempotency-key', `hostile-${Math.random().toString(36).slice(2)}`);
    if (body === undefined) return req;
    return typeof body === 'string'
      ? req.set('content-type', 'application/json').send(body)
      : req.send(body as object);
  };

  it('covers the compliance routes of issue 11 (the sweep is not empty)', () => {
    const paths = operations.map((o) => o.path);
    for (const route of [
      '/api/v1/admin/consents',
      '/api/v1/admin/rights-requests',
      '/api/v1/admin/incidents/{incidentId}/contain',
      '/api/v1/admin/vendors/{vendorId}/baa',
      '/api/v1/admin/partners/{partnerId}/suspend',
      '/api/v1/admin/exports/deidentified',
      '/api/v1/rights-exports/{token}',
    ])
      expect(paths.some((p) => p.startsWith(route.replace(/\{.*$/, '')))).toBe(true);
    expect(operations.length).toBeGreaterThan(40);
  });

  it('answers malformed path parameters with 4xx on every admin operation', async () => {
    const fives: string[] = [];
    for (const { method, path } of operations.filter((o) => o.path.includes('{'))) {
      for (const value of HOSTILE_PARAMS) {
        const concrete = path.replace(/\{[^}]+\}/g, value);
        for (const session of sessions) {
          const res = await send(session, method, concrete, method === 'get' ? undefined : { reason: 'x' });
          if (res.status >= 500)
            fives.push(`${method.toUpperCase()} ${path} [${value.slice(0, 12)}] -> ${res.status}`);
        }
      }
    }
    expect(fives).toEqual([]);
  });

  it('answers bodies of the wrong shape with 4xx on every admin POST and PUT, as problem+json', async () => {
    const fives: string[] = [];
    const notProblems: string[] = [];
    for (const { method, path } of operations.filter((o) => o.method === 'post' || o.method === 'put')) {
      // Well-formed ids that exist nowhere: the body is what is under test.
      const concrete = path.replace(/\{[^}]+\}/g, 'zzz_01JD3Q4Z5X6C7V8B9N0M1K2J3H');
      for (const { name, body } of HOSTILE_BODIES) {
        for (const session of sessions) {
          const res = await send(session, method, concrete, body);
          if (res.status >= 500) fives.push(`${method.toUpperCase()} ${path} [${name}] -> ${res.status}`);
          else if (
            res.status >= 400 &&
            !String(res.headers['content-type']).startsWith('application/problem+json')
          )
            notProblems.push(`${method.toUpperCase()} ${path} [${name}] -> ${res.status}`);
        }
      }
    }
    expect(fives).toEqual([]);
    expect(notProblems).toEqual([]);
  });
});
