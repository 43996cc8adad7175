import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import type { Redis } from 'ioredis';
import { AppConfig, Clock, JobQueues, ManualClock, newId, REDIS } from '@app/common';
import { deleteRedisKeys } from '../../../test/support/test-app';
import { startTestServices, type TestServices } from '../../../test/support/test-services';
import { Alert } from './alert.entity';
import { AlertsService } from './alerts.service';
import { AfterCommit } from './after-commit';
import { AuditModule } from './audit.module';
import { AuditService, type AuditRecord } from './audit.service';
import { AuditVerifierService } from './chain/audit-verifier.service';
import { APPEND_EVENTS, chainEvents } from './chain/audit-append';

function event(requestId: string, auditState?: { audited: boolean }): AuditRecord {
  return {
    actorType: 'system',
    actorId: 'test',
    action: 'test.commit_path',
    outcome: 'success',
    requestId,
    auditState,
  };
}

/** A change that lives in the audit lib's own tables, so the test needs no other domain. */
function alertRow(): Alert {
  const alert = new Alert();
  Object.assign(alert, {
    id: newId('alert'),
    type: 'auth_failures',
    severity: 'low',
    subject: 'ip:192.0.2.1',
  });
  alert.raisedAt = new Date();
  return alert;
}

describe('audit commit path: Redis is never part of the audit write', () => {
  let services: TestServices;
  let audit: AuditService;
  let em: EntityManager;
  let enqueue: jest.SpyInstance;

  beforeAll(async () => {
    // Every event crosses the checkpoint threshold, so every write asks for a checkpoint job.
    services = await startTestServices({
      imports: [AuditModule],
      env: { AUDIT_CHECKPOINT_EVERY_EVENTS: '1' },
    });
    audit = services.get(AuditService);
    em = services.get(EntityManager);
  });
  afterAll(() => services.close());
  afterEach(() => enqueue?.mockRestore());

  const eventsOf = async (requestIds: string[]) =>
    (
      await em
        .fork()
        .execute<Array<{ request_id: string }>>(
          'select request_id from audit_event where request_id in (?)',
          [requestIds],
        )
    ).map((r) => r.request_id);

  function redisDown(): void {
    enqueue = jest
      .spyOn(services.get(JobQueues), 'enqueue')
      .mockRejectedValue(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }),
      );
  }

  it('commits a change and its event exactly once when the checkpoint job cannot be enqueued', async () => {
    redisDown();
    const requestId = randomUUID();
    const auditState = { audited: false };
    const alert = alertRow();
    await em.fork().transactional(async (tx) => {
      tx.persist(alert);
      await tx.flush();
      await audit.record(tx, event(requestId, auditState));
    });
    expect(await em.fork().count(Alert, { id: alert.id })).toBe(1);
    expect(await eventsOf([requestId])).toEqual([requestId]);
    expect(auditState.audited).toBe(true);
    expect(enqueue).toHaveBeenCalled();
  });

  it('writes group-committed standalone events exactly once when the checkpoint job cannot be enqueued', async () => {
    redisDown();
    const requestIds = Array.from({ length: 8 }, () => randomUUID());
    const answers = await Promise.allSettled(requestIds.map((id) => audit.recordStandalone(event(id))));
    expect((await eventsOf(requestIds)).sort()).toEqual([...requestIds].sort());
    expect(answers.filter((a) => a.status === 'rejected')).toEqual([]);
    expect(enqueue).toHaveBeenCalled();
    expect(await services.get(AuditVerifierService).verify({ full: true })).toMatchObject({ ok: true });
  });

  it('does not mark the request audited when the caller rolls its transaction back', async () => {
    const requestId = randomUUID();
    const auditState = { audited: false };
    await expect(
      em.fork().transactional(async (tx) => {
        await audit.record(tx, event(requestId, auditState));
        throw new Error('the change failed after it was audited');
      }),
    ).rejects.toThrow('the change failed');
    expect(auditState.audited).toBe(false);
    expect(await eventsOf([requestId])).toEqual([]);
  });

  it('marks the request audited and asks for a checkpoint once the caller commits', async () => {
    enqueue = jest.spyOn(services.get(JobQueues), 'enqueue');
    const requestId = randomUUID();
    const auditState = { audited: false };
    const seenInside: boolean[] = [];
    await em.fork().transactional(async (tx) => {
      await audit.record(tx, event(requestId, auditState));
      seenInside.push(auditState.audited, enqueue.mock.calls.length > 0);
    });
    expect(seenInside).toEqual([false, false]);
    expect(auditState.audited).toBe(true);
    expect(enqueue).toHaveBeenCalledWith(
      'audit.checkpoint',
      { reason: 'event_count' },
      expect.stringMatching(/^checkpoint-\d+$/),
    );
  });

  it('waits for the outermost transaction when the event is recorded inside a savepoint', async () => {
    const committed = { audited: false };
    const rolledBack = { audited: false };
    const afterSavepoint: boolean[] = [];
    await em.fork().transactional(async (outer) => {
      await outer.transactional((inner) => audit.record(inner, event(randomUUID(), committed)));
      afterSavepoint.push(committed.audited);
    });
    expect(afterSavepoint).toEqual([false]);
    expect(committed.audited).toBe(true);

    await expect(
      em.fork().transactional(async (outer) => {
        await outer.transactional((inner) => audit.record(inner, event(randomUUID(), rolledBack)));
        throw new Error('the outer change failed');
      }),
    ).rejects.toThrow('the outer change failed');
    expect(rolledBack.audited).toBe(false);
  });

  it('marks a request audited at once when record opens its own transaction', async () => {
    const requestId = randomUUID();
    const auditState = { audited: false };
    await audit.record(em.fork(), event(requestId, auditState));
    expect(auditState.audited).toBe(true);
    expect(await eventsOf([requestId])).toEqual([requestId]);
  });
});

describe('audit group commit: one statement per group, the chain intact', () => {
  let services: TestServices;
  let audit: AuditService;
  let em: EntityManager;

  beforeAll(async () => {
    services = await startTestServices({ imports: [AuditModule] });
    audit = services.get(AuditService);
    em = services.get(EntityManager);
  });
  afterAll(() => services.close());

  /** The SQL texts every pg connection of this process sends while `work` runs. */
  async function statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
    const texts: string[] = [];
    const original = Client.prototype.query;
    const query = jest.spyOn(Client.prototype, 'query').mockImplementation(function (
      this: Client,
      ...args: Parameters<Client['query']>
    ) {
      const first = args[0] as unknown as string | { text: string };
      texts.push(typeof first === 'string' ? first : first.text);
      return (original as (...a: unknown[]) => unknown).apply(this, args) as never;
    });
    try {
      await work();
    } finally {
      query.mockRestore();
    }
    return texts;
  }

  /** A second process writing the same chain: its own service, with no idea what this one wrote. */
  function otherProcess(): AuditService {
    return new AuditService(
      em,
      services.module.get(Clock),
      services.get(AppConfig),
      services.get(JobQueues),
      services.get(AfterCommit),
    );
  }

  const burst = (writer: AuditService, n: number, action = 'test.group') =>
    Promise.all(Array.from({ length: n }, () => writer.recordStandalone({ ...event(randomUUID()), action })));

  it('appends a group of standalone events in one round trip once this process wrote the chain head', async () => {
    await burst(audit, 3);
    const texts = await statementsDuring(() => burst(audit, 40));
    // The first event of the burst goes alone, the other 39 wait and share the next statement.
    expect(texts).toEqual([APPEND_EVENTS.text, APPEND_EVENTS.text]);
    expect(await services.get(AuditVerifierService).verify({ full: true })).toMatchObject({ ok: true });
  });

  it('stores ids, categories and text with quotes, braces, backslashes, commas and NULL exactly as hashed', async () => {
    const awkward = ['a"b', 'c\\d', '{e,f}', 'NULL', '', ' g ', 'ü €'];
    const requestId = randomUUID();
    const other = randomUUID();
    await Promise.all([
      audit.recordStandalone({
        ...event(requestId),
        resourceType: 'member',
        resourceIds: awkward,
        categories: [],
        reason: 'x"y\\z',
        userAgent: "o'brien {1,2}",
        statusCode: 200,
      }),
      audit.recordStandalone({ ...event(other), resourceIds: null, categories: ['identity', 'contact'] }),
    ]);
    await em.fork().transactional((tx) => audit.record(tx, { ...event(randomUUID()), resourceIds: awkward }));
    const rows = await em.fork().execute<
      Array<{
        resource_ids: string[] | null;
        categories: string[] | null;
        reason: string;
        user_agent: string;
      }>
    >('select resource_ids, categories, reason, user_agent from audit_event where request_id in (?, ?) order by seq', [requestId, other]);
    expect(rows).toEqual([
      { resource_ids: awkward, categories: [], reason: 'x"y\\z', user_agent: "o'brien {1,2}" },
      { resource_ids: null, categories: ['identity', 'contact'], reason: null, user_agent: null },
    ]);
    expect(await services.get(AuditVerifierService).verify({ full: true })).toMatchObject({ ok: true });
  });

  it('keeps one gapless chain when another process appends between its groups', async () => {
    const other = otherProcess();
    await burst(audit, 5, 'test.interleaved');
    await burst(other, 5, 'test.interleaved');
    await burst(audit, 5, 'test.interleaved');
    await Promise.all([burst(audit, 60, 'test.interleaved'), burst(other, 60, 'test.interleaved')]);
    await em.fork().transactional((tx) => other.record(tx, event(randomUUID())));
    await burst(audit, 5, 'test.interleaved');
    const [{ n, min, max }] = await em
      .fork()
      .execute<Array<{ n: number; min: string; max: string }>>(
        `select count(*)::int as n, min(seq) as min, max(seq) as max from audit_event`,
      );
    expect(Number(max) - Number(min) + 1).toBe(n);
    expect(
      (
        await em
          .fork()
          .execute<Array<{ n: number }>>(
            `select count(*)::int as n from audit_event where action = 'test.interleaved'`,
          )
      )[0].n,
    ).toBe(140);
    expect(await services.get(AuditVerifierService).verify({ full: true })).toMatchObject({ ok: true });
  });

  it('verifies the whole trail while two writers keep appending, never reporting a break at the head', async () => {
    // Regression: the verifier read the head after the events, so an append committed in between
    // looked like a cut tail ("the chain head is further"), and the demo's verify failed now and then.
    const other = otherProcess();
    let writing = true;
    const writer = async (w: AuditService) => {
      while (writing) await burst(w, 3, 'test.while_verifying');
    };
    const writers = [writer(audit), writer(other)];
    const verifier = services.get(AuditVerifierService);
    const results = [];
    try {
      for (let n = 0; n < 25; n++) results.push(await verifier.verify({ full: n % 2 === 0 }));
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    expect(results.filter((r) => !r.ok).map((r) => r.problem)).toEqual([]);
    // Each verify covered events the writers had added since the one before.
    expect(new Set(results.map((r) => r.lastSeq)).size).toBeGreaterThan(20);
    expect(await verifier.verify({ full: true })).toMatchObject({ ok: true });
  });

  it('fails only the bad event of a group and writes its neighbours', async () => {
    const good = [randomUUID(), randomUUID()];
    const answers = await Promise.allSettled([
      audit.recordStandalone(event(randomUUID())),
      audit.recordStandalone(event(good[0])),
      audit.recordStandalone({ ...event(randomUUID()), action: 'x'.repeat(81) }),
      audit.recordStandalone(event(good[1])),
    ]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const stored = await em
      .fork()
      .execute<Array<{ request_id: string }>>('select request_id from audit_event where request_id in (?)', [
        good,
      ]);
    expect(stored.map((r) => r.request_id).sort()).toEqual([...good].sort());
    expect(await services.get(AuditVerifierService).verify({ full: true })).toMatchObject({ ok: true });
  });

  // Last in this block: the planted row stays, and the next genuine append would collide with it.
  it('reports a correctly chained row inserted past the chain head by hand', async () => {
    const [head] = await em
      .fork()
      .execute<Array<{ seq: string; hash: Buffer }>>('select seq, hash from audit_chain_head where id = 1');
    const from = { seq: Number(head.seq), hash: head.hash };
    const [row] = chainEvents(from, [event(randomUUID())], () => new Date()).rows;
    await em
      .fork()
      .execute(
        'insert into audit_event (seq, occurred_at, actor_type, actor_id, action, outcome, request_id, hash) values (?, ?, ?, ?, ?, ?, ?, ?)',
        [
          row.seq,
          row.occurredAt,
          row.actorType,
          row.actorId,
          row.action,
          row.outcome,
          row.requestId,
          row.hash,
        ],
      );
    expect(await services.get(AuditVerifierService).verify({ full: true })).toMatchObject({
      ok: false,
      firstBrokenSeq: from.seq + 1,
      problem: 'events past the chain head were not appended by the writer',
    });
  });
});

describe('bulk-read alert: member reads are counted off the request path', () => {
  const SATURDAY_NIGHT = new Date('2026-12-05T02:00:00Z');
  const MONDAY_MORNING = new Date('2026-11-30T10:00:00Z');
  const env = { ALERT_BULK_READ_PER_HOUR: '3' };
  let services: TestServices;
  let alerts: AlertsService;
  const clock = new ManualClock(MONDAY_MORNING.getTime());

  beforeAll(async () => {
    services = await startTestServices({ imports: [AuditModule], env, clock });
    alerts = services.get(AlertsService);
  });
  afterAll(() => services.close());

  const bulkReadAlerts = (on: TestServices) =>
    on.get(EntityManager).fork().count(Alert, { type: 'bulk_read_off_hours' });

  it('answers a member read without a Redis round trip and sends the counts in one MULTI', async () => {
    const multi = jest.spyOn(services.get<Redis>(REDIS as never), 'multi');
    try {
      for (let i = 0; i < 10; i++) await alerts.noteMemberReads('cli_a', 1);
      expect(multi).not.toHaveBeenCalled();
      await alerts.flushReads();
      expect(multi).toHaveBeenCalledTimes(1);
    } finally {
      multi.mockRestore();
    }
  });

  it('raises the alert for reads past the threshold outside business hours, not inside them', async () => {
    clock.set(MONDAY_MORNING);
    for (let i = 0; i < 5; i++) await alerts.noteMemberReads('cli_b', 1);
    await alerts.flushReads();
    expect(await bulkReadAlerts(services)).toBe(0);

    clock.set(SATURDAY_NIGHT);
    await alerts.noteMemberReads('cli_b', 2);
    await alerts.flushReads();
    expect(await bulkReadAlerts(services)).toBe(0);
    await alerts.noteMemberReads('cli_b', 2);
    await alerts.noteMemberReads('cli_b', 1);
    await alerts.flushReads();
    expect(await bulkReadAlerts(services)).toBe(1);
  });

  it('sends the counts of its last reads to Redis and raises their alert when the process shuts down', async () => {
    const local = await startTestServices({ imports: [AuditModule], env, clock });
    try {
      clock.set(SATURDAY_NIGHT);
      await local.get(AlertsService).noteMemberReads('cli_c', 10);
      await local.module.close();
      // The module's pool is closed now: read the table through a connection of our own.
      const client = new Client({ connectionString: local.database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: number }>(
          `select count(*)::int as n from alert where type = 'bulk_read_off_hours'`,
        );
        expect(rows[0].n).toBe(1);
      } finally {
        await client.end();
      }
    } finally {
      await deleteRedisKeys(local.config.redis.keyPrefix);
      await local.database.drop();
    }
  });
});
