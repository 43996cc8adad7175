import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import {
  AuditService,
  AuditVerifierService,
  CheckpointsService,
  chainHash,
  chainedFromRow,
} from '@app/audit';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AuditJobsModule } from '@app/audit';
import { JobHandler, JobQueues, ManualClock } from '@app/common';
import { createWorkerApplication } from '../apps/worker/src';
import { JobsRunner } from '../apps/worker/src/jobs/jobs-runner';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { sql } from './support/identity-fixtures';
import { TEST_REDIS_URL } from './support/services';
import { startTestApi, type TestApi } from './support/test-app';

const run = promisify(execFile);
const CLI = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');

async function superuser<T>(api: TestApi, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: api.database.url });
  await client.connect();
  try {
    // A database administrator bypassing the triggers, as an attacker with superuser rights could.
    await client.query(`set session_replication_role = replica`);
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function writeEvents(api: TestApi, count: number): Promise<void> {
  const audit = api.app.get(AuditService);
  for (let i = 0; i < count; i++) {
    await audit.recordStandalone({
      actorType: 'system',
      actorId: 'test',
      action: 'test.event',
      resourceType: 'member',
      resourceIds: [`mbr_${String(i).padStart(26, '0')}`],
      outcome: 'success',
    });
  }
}

describe('audit trail: append-only, hash chain, signed checkpoints', () => {
  const clock = new ManualClock(Date.now());

  describe('as the application role', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi({ clock });
      await writeEvents(api, 3);
    });
    afterAll(() => api.close());

    it.each([
      ['UPDATE', `update audit_event set action = 'forged'`],
      ['DELETE', `delete from audit_event`],
      ['TRUNCATE', `truncate audit_event`],
      ['disabling the triggers', `alter table audit_event disable trigger all`],
      ['dropping a trigger', `drop trigger audit_event_append_only on audit_event`],
      ['UPDATE of a checkpoint', `update audit_checkpoint set signature = 'x'`],
    ])('refuses %s', async (_name, statement) => {
      const client = new Client({ connectionString: api.database.url });
      await client.connect();
      try {
        await client.query('set role msync_app');
        await expect(client.query(statement)).rejects.toThrow(/append-only|permission denied|must be owner/);
      } finally {
        await client.end();
      }
    });

    it('runs the service itself as the application role', async () => {
      const em = (await import('@mikro-orm/postgresql')).EntityManager;
      const [{ current_user: role }] = await api.app
        .get(em)
        .fork()
        .execute<Array<{ current_user: string }>>('select current_user');
      expect(role).toBe('msync_app');
    });

    it('refuses to delete an event younger than six years even for the archive role', async () => {
      const client = new Client({ connectionString: api.database.url });
      await client.connect();
      try {
        await client.query('set role msync_archiver');
        await expect(client.query('delete from audit_event')).rejects.toThrow(/six years/);
      } finally {
        await client.end();
      }
    });
  });

  describe('verification', () => {
    const apis: TestApi[] = [];
    afterAll(async () => {
      for (const api of apis) await api.close();
    });

    async function chainOf(count: number, checkpoint = true): Promise<TestApi> {
      const api = await startTestApi({ clock });
      apis.push(api);
      await writeEvents(api, count);
      if (checkpoint) await api.app.get(CheckpointsService).checkpointHead();
      return api;
    }

    const verify = (api: TestApi) => api.app.get(AuditVerifierService).verify({ full: true });

    it('verifies an untouched trail, then verifies incrementally from the last checkpoint', async () => {
      const api = await chainOf(20);
      const first = await verify(api);
      expect(first).toMatchObject({ ok: true, firstBrokenSeq: null, eventsChecked: 20 });
      await writeEvents(api, 5);
      const next = await api.app.get(AuditVerifierService).verify();
      expect(next).toMatchObject({ ok: true, incremental: true, fromSeq: 21, eventsChecked: 5 });
    });

    it('names an edited event', async () => {
      const api = await chainOf(20);
      await superuser(api, (c) => c.query(`update audit_event set action = 'member.delete' where seq = 7`));
      expect(await verify(api)).toMatchObject({ ok: false, firstBrokenSeq: 7 });
    });

    it('names a deleted event', async () => {
      const api = await chainOf(20);
      await superuser(api, (c) => c.query(`delete from audit_event where seq = 11`));
      expect(await verify(api)).toMatchObject({ ok: false, firstBrokenSeq: 11 });
    });

    it('names the first of two swapped events', async () => {
      const api = await chainOf(20);
      await superuser(api, (c) =>
        c.query(`update audit_event set seq = case seq when 5 then -6 when 6 then -5 end where seq in (5, 6);
                 update audit_event set seq = -seq where seq < 0;`),
      );
      expect(await verify(api)).toMatchObject({ ok: false, firstBrokenSeq: 5 });
    });

    it('names a cut tail through the checkpoint kept outside the database, even with the head and stored checkpoints forged', async () => {
      const api = await chainOf(20);
      await superuser(api, async (c) => {
        await c.query(`delete from audit_event where seq > 16`);
        await c.query(`delete from audit_checkpoint`);
        await c.query(
          `update audit_chain_head set seq = 16, hash = (select hash from audit_event where seq = 16)`,
        );
      });
      expect(await verify(api)).toMatchObject({ ok: false, firstBrokenSeq: 17 });
    });

    it('names a cut tail when no checkpoint lies beyond it and the head was left alone', async () => {
      const api = await chainOf(10);
      await writeEvents(api, 10);
      await superuser(api, (c) => c.query(`delete from audit_event where seq > 16`));
      expect(await verify(api)).toMatchObject({
        ok: false,
        firstBrokenSeq: 17,
        problem: 'events after the last row are gone (the chain head is further)',
      });
    });

    it('names a checkpoint whose stored row and file disagree, each validly signed', async () => {
      const api = await chainOf(10);
      // The row re-signed over another event's hash (as by someone holding the signing key).
      const [other] = await sql<{ hash: Buffer }>(api, 'select hash from audit_event where seq = 9');
      const forged = api.app.get(CheckpointsService).signer.sign(10, other.hash, new Date());
      await superuser(api, (c) =>
        c.query('update audit_checkpoint set hash = $1, signature = $2, created_at = $3 where seq = 10', [
          other.hash,
          forged.signature,
          forged.time,
        ]),
      );
      expect(await verify(api)).toMatchObject({
        ok: false,
        firstBrokenSeq: 10,
        problem: 'the stored and external checkpoints disagree',
      });
    });

    it('catches history that was rewritten and rehashed, through the signed checkpoint', async () => {
      const api = await chainOf(10);
      await superuser(api, async (c) => {
        await c.query(`update audit_event set reason = 'rewritten' where seq = 4`);
        // Recompute every hash from seq 4 on, exactly as the service would.
        const { rows } = await c.query(`select * from audit_event where seq >= 3 order by seq`);
        let previous: Buffer = rows[0].hash;
        for (const row of rows.slice(1)) {
          const hash = chainHash(previous, chainedFromRow(row));
          await c.query('update audit_event set hash = $1 where seq = $2', [hash, row.seq]);
          previous = hash;
        }
        await c.query('update audit_chain_head set hash = $1', [previous]);
      });
      const result = await verify(api);
      expect(result.ok).toBe(false);
      expect(result.firstBrokenSeq).toBe(10);
      expect(result.problem).toMatch(/signed checkpoint/);
    });

    it('reports a broken trail from `npm run audit:verify` with the first broken sequence number', async () => {
      const api = await chainOf(8);
      await superuser(api, (c) => c.query(`update audit_event set outcome = 'failure' where seq = 3`));
      const env = {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: api.database.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: api.config.redis.keyPrefix,
        AUDIT_SIGNING_KEY_FILE: api.config.audit.signingKeyFile,
        AUDIT_CHECKPOINT_DIR: api.config.audit.checkpointDir,
        LOCAL_KEK_FILE: api.config.keys.localKekFile,
        LOG_LEVEL: 'silent',
      };
      const failure = await run(process.execPath, [CLI, 'audit', 'verify', '--full'], { env }).catch(
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect('code' in failure && failure.code).toBe(1);
      expect(JSON.parse(failure.stdout.trim().split('\n').pop()!)).toMatchObject({
        ok: false,
        firstBrokenSeq: 3,
      });
      expect(failure.stderr).toContain('audit trail broken at sequence 3');
    });
  });

  it('keeps one gapless chain under concurrent writers', async () => {
    const api = await startTestApi({ clock });
    try {
      const audit = api.app.get(AuditService);
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          audit.recordStandalone({
            actorType: 'system',
            action: 'test.concurrent',
            outcome: 'success',
            requestId: randomUUID(),
            reason: `n${i}`,
          }),
        ),
      );
      const [{ n, min, max }] = await sql<{ n: number; min: string; max: string }>(
        api,
        `select count(*)::int as n, min(seq) as min, max(seq) as max from audit_event where action = 'test.concurrent'`,
      );
      expect(Number(max) - Number(min) + 1).toBe(n);
      expect(await api.app.get(AuditVerifierService).verify({ full: true })).toMatchObject({ ok: true });
    } finally {
      await api.close();
    }
  });

  describe('its jobs in the worker', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi({ clock });
    });
    afterAll(() => api.close());

    it("signs a checkpoint through the audit lib's own job handler", async () => {
      const worker = await createWorkerApplication(api.config);
      try {
        await writeEvents(api, 3);
        await worker
          .get(JobQueues)
          .enqueue('audit.checkpoint', { reason: 'event_count' }, `checkpoint-${randomUUID()}`);
        const checkpoints = api.app.get(CheckpointsService);
        const deadline = Date.now() + 10_000;
        while (!checkpoints.external().some((c) => c.seq === 3) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 100));
        expect(checkpoints.external().find((c) => c.seq === 3)).toBeDefined();
      } finally {
        await worker.close();
      }
    });

    it('refuses to start the worker when a job has two handlers', async () => {
      @Injectable()
      class SecondCheckpointHandler {
        @JobHandler('audit.checkpoint')
        async run(): Promise<void> {}
      }
      const module = await Test.createTestingModule({
        imports: [WorkerModule.forRoot(api.config)],
        providers: [SecondCheckpointHandler],
      }).compile();
      try {
        // The runner's boot check alone: a failed init() would leave the module unable to close.
        expect(() => module.get(JobsRunner).onApplicationBootstrap()).toThrow(
          /duplicated \[audit\.checkpoint\]/,
        );
      } finally {
        await module.close();
      }
    });

    it('refuses to start the worker when a job has no handler', async () => {
      @Module({})
      class NoAuditJobs {}
      const module = await Test.createTestingModule({ imports: [WorkerModule.forRoot(api.config)] })
        .overrideModule(AuditJobsModule)
        .useModule(NoAuditJobs)
        .compile();
      try {
        expect(() => module.get(JobsRunner).onApplicationBootstrap()).toThrow(
          /missing \[audit\.checkpoint, alerts\.deliver\]/,
        );
      } finally {
        await module.close();
      }
    });
  });
});
