import { connect } from 'node:tls';
import { ProbeModule } from './support/probe/probe.controller';
import { startTestApi, TestApi } from './support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectProblem(
  res: { status: number; headers: Record<string, string>; text: string },
  status: number,
  type: string,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text);
  expect(body).toMatchObject({ status, type: `https://member-sync.dev/problems/${type}` });
  expect(body.requestId).toMatch(UUID);
  expect(body.instance).toBe(`urn:uuid:${body.requestId}`);
  expect(res.headers['x-request-id']).toBe(body.requestId);
  expect(res.text).not.toMatch(/stack|at \w+ \(|node_modules|select |insert /i);
  return body;
}

describe('foundation: HTTPS, errors and ops endpoints', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ imports: [ProbeModule] });
  });
  afterAll(() => api.close());

  it('reports ready when Postgres and Redis answer', async () => {
    const res = await api.http().get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.info).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
    expect((await api.http().get('/health/live')).status).toBe(200);
  });

  it('sends HSTS, no-store and no X-Powered-By on every response', async () => {
    for (const path of ['/health/live', '/api/v1/does-not-exist']) {
      const res = await api.http().get(path);
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(res.headers['cache-control']).toMatch(/no-store/);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('echoes a UUID X-Request-Id and replaces anything else', async () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    expect((await api.http().get('/health/live').set('x-request-id', id)).headers['x-request-id']).toBe(id);
    const forged = await api.http().get('/health/live').set('x-request-id', 'forged id');
    expect(forged.headers['x-request-id']).toMatch(UUID);
  });

  it.each([
    ['TLSv1', 'TLSv1.1', false],
    ['TLSv1.2', 'TLSv1.2', true],
    ['TLSv1.3', 'TLSv1.3', true],
  ] as const)('handshake %s..%s succeeds: %s', async (minVersion, maxVersion, succeeds) => {
    const port = Number(new URL(api.baseUrl).port);
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        minVersion,
        maxVersion,
        rejectUnauthorized: false,
        ciphers: 'DEFAULT:@SECLEVEL=0',
      });
      socket.once('secureConnect', () => {
        const protocol = socket.getProtocol() ?? 'none';
        socket.destroy();
        resolve(protocol);
      });
      socket.once('error', () => resolve('refused'));
    });
    expect(outcome).toBe(succeeds ? maxVersion : 'refused');
  });

  it('answers a 2 MB body with 413 problem+json and none of the bytes', async () => {
    const canary = 'canary-oversize-';
    const payload = JSON.stringify({ name: canary.repeat(Math.ceil((2 * 1024 * 1024) / canary.length)) });
    const res = await api.http().post('/api/v1/probe').set('content-type', 'application/json').send(payload);
    expectProblem(res, 413, 'payload-too-large');
    expect(res.text).not.toContain(canary);
  });

  it('answers text/plain with 415', async () => {
    const res = await api
      .http()
      .post('/api/v1/probe')
      .set('content-type', 'text/plain')
      .send('canary-plain-text');
    expectProblem(res, 415, 'unsupported-media-type');
    expect(res.text).not.toContain('canary-plain-text');
    expect(res.text).not.toContain('text/plain');
  });

  it('answers broken JSON with 400 malformed-json without echoing it', async () => {
    const res = await api
      .http()
      .post('/api/v1/probe')
      .set('content-type', 'application/json')
      .send('{"name": canary-broken');
    expectProblem(res, 400, 'malformed-json');
    expect(res.text).not.toContain('canary-broken');
  });

  it('refuses prototype-poisoning JSON', async () => {
    const res = await api
      .http()
      .post('/api/v1/probe')
      .set('content-type', 'application/json')
      .send('{"name":"a","email":"a@example.test","count":1,"__proto__":{"admin":true}}');
    expectProblem(res, 400, 'malformed-json');
  });

  it('answers an unknown route with 404 and does not echo the path or query', async () => {
    const res = await api.http().get('/api/v1/canary-route?ssn=canary-query');
    expectProblem(res, 404, 'not-found');
    expect(res.text).not.toContain('canary');
  });

  it('lists offending fields and rules, never the values', async () => {
    const res = await api
      .http()
      .post('/api/v1/probe')
      .send({ name: 'ok', email: 'canary-not-an-email', count: 99, extra: 'canary-extra' });
    const body = expectProblem(res, 400, 'validation-failed');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { field: 'email', rules: ['isEmail'] },
        { field: 'count', rules: ['max'] },
        // A key no DTO declares is reported by position: its name is the caller's text.
        { field: '(unknown property #1)', rules: ['whitelistValidation'] },
      ]),
    );
    expect(res.text).not.toContain('canary');
  });

  it('accepts a valid body', async () => {
    const res = await api
      .http()
      .post('/api/v1/probe')
      .send({ name: 'ok', email: 'probe@example.test', count: 3 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, count: 3 });
  });

  it('answers an unexpected error with a bare 500 carrying only the request id', async () => {
    const res = await api.http().get('/api/v1/probe/crash');
    const body = expectProblem(res, 500, 'internal-error');
    expect(body.detail).toBeUndefined();
    expect(res.text).not.toContain('900-12-3456');
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const doc = await api.http().get('/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(doc.body.paths['/health/ready']).toBeDefined();
    const ui = await api.http().get('/api/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });

  it('keeps CORS closed when no origins are configured', async () => {
    const res = await api.http().get('/health/live').set('origin', 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('foundation: CORS allow-list', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ env: { CORS_ORIGINS: 'https://portal.example' } });
  });
  afterAll(() => api.close());

  it('echoes only a listed origin', async () => {
    const allowed = await api.http().get('/health/live').set('origin', 'https://portal.example');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://portal.example');
    const other = await api.http().get('/health/live').set('origin', 'https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
