import { readFileSync } from 'node:fs';
import type { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { ManualClock } from '@app/common';
import { KEK_REWRAP_LOCK, KEK_START_LOCK, KeyRotationRunner, RotationBusy } from '@app/crypto';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import { adminPost, loginAdmin, sql, type AdminSession } from './support/identity-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

/** Two API processes on one database, no worker at first: a started rotation stays running. */
describe('KEK rotations are serialized', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let second: TestApi;
  let worker: INestApplicationContext | undefined;
  let security: AdminSession;

  beforeAll(async () => {
    api = await startTestApi({ clock });
    second = await startTestApi({ clock, shareWith: api });
    security = await loginAdmin(api, clock, 'security_admin');
  });
  afterAll(async () => {
    await worker?.close();
    await second?.close();
    await api?.close();
  });

  const keyringLines = () => readFileSync(api.config.keys.localKekFile, 'utf8').trim().split('\n').length;
  const rotate = (target: TestApi) =>
    adminPost(target, security.accessToken, '/api/v1/admin/keys/rotate', { reencrypt: false });

  it('answers one 202 and one 409 rotation-in-progress when two processes start a rotation at the same moment', async () => {
    const keysBefore = keyringLines();
    const answers = await Promise.all([rotate(api), rotate(second)]);

    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    const refused = answers.find((a) => a.status === 409)!;
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body.type).toMatch(/\/rotation-in-progress$/);
    expect(refused.body.requestId).toEqual(expect.any(String));
    // No stack frame (`at fn (file:line:col)`), SQL or driver name; the detail itself may say "follow it at /api/…".
    expect(JSON.stringify(refused.body)).not.toMatch(/\bat .*:\d+:\d+|\bselect\b|pg_/i);
    // One run, and the keyring grew by exactly one version.
    expect(await sql(api, 'select id from key_rotation')).toHaveLength(1);
    expect(keyringLines()).toBe(keysBefore + 1);
  });

  it('refuses another start while the rotation is still running, naming the running one', async () => {
    const [running] = await sql<{ id: string }>(api, `select id from key_rotation where status = 'running'`);
    const res = await rotate(second);
    expect(res.status).toBe(409);
    expect(res.body.rotationId).toBe(running.id);
  });

  it('does not re-wrap while another worker holds the rotation lock, and finishes once it is released', async () => {
    const [running] = await sql<{ id: string }>(api, `select id from key_rotation where status = 'running'`);
    const runner = api.app.get(KeyRotationRunner, { strict: false });
    const otherWorker = new Client({ connectionString: api.database.url });
    await otherWorker.connect();
    try {
      await otherWorker.query('select pg_advisory_lock($1, $2)', KEK_REWRAP_LOCK);
      await expect(
        runner.run(
          running.id,
          () => clock.now(),
          () => Promise.resolve(),
        ),
      ).rejects.toBeInstanceOf(RotationBusy);
      const [untouched] = await sql(api, 'select status, done, cursor from key_rotation where id = $1', [
        running.id,
      ]);
      expect(untouched).toEqual({ status: 'running', done: 0, cursor: null });

      await otherWorker.query('select pg_advisory_unlock($1, $2)', KEK_REWRAP_LOCK);
      const finished = await runner.run(
        running.id,
        () => clock.now(),
        () => Promise.resolve(),
      );
      expect(finished.status).toBe('completed');
    } finally {
      await otherWorker.end();
    }
  });

  it('lets a new rotation start once the previous one finished, and the worker re-wraps every owner, identity included', async () => {
    worker = await createWorkerApplication(api.config, { clock });
    const started = await rotate(second);
    expect(started.status).toBe(202);
    const deadline = Date.now() + 30_000;
    let status = started.body as { status: string; done: number; total: number };
    while (status.status === 'running' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = (
        await api
          .http()
          .get(`/api/v1/admin/keys/rotations/${started.body.id}`)
          .set('authorization', `Bearer ${security.accessToken}`)
      ).body;
    }
    expect(status).toMatchObject({ status: 'completed' });
    const keks = await sql<{ kek: string }>(
      api,
      `select private_key_wrapped->>'kek' as kek from signing_key
       union select totp_secret_wrapped->>'kek' from admin_user
       union select wrapped->>'kek' from system_secret`,
    );
    expect(keks).toHaveLength(1);
  }, 45_000);

  it('refuses a start while another process is in the middle of starting one, and starts once it has', async () => {
    const otherProcess = new Client({ connectionString: api.database.url });
    await otherProcess.connect();
    try {
      await otherProcess.query('select pg_advisory_lock($1, $2)', KEK_START_LOCK);
      const refused = await rotate(api);
      expect(refused.status).toBe(409);
      expect(refused.body.type).toMatch(/\/rotation-in-progress$/);
      expect(refused.body.rotationId).toBeUndefined();
      await otherProcess.query('select pg_advisory_unlock($1, $2)', KEK_START_LOCK);
      expect((await rotate(api)).status).toBe(202);
    } finally {
      await otherProcess.end();
    }
  });
});
