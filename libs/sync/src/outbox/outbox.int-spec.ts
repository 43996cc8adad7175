import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, Socket, type Server } from 'node:net';
import { EntityManager } from '@mikro-orm/postgresql';
import { Redis } from 'ioredis';
import { AuditModule, AuditService, auditActor } from '@app/audit';
import { DATA_CATEGORIES, JobQueues, ManualClock, type Actor } from '@app/common';
import { CryptoModule } from '@app/crypto';
import { IdentityModule, OrganizationsService, PartnersService } from '@app/identity';
import {
  MembersModule,
  MemberWriter,
  SyntheticMemberGenerator,
  valuesFromGroups,
  type MemberField,
  type MemberValues,
} from '@app/members';
import { VendorsModule, VendorsService } from '@app/vendors';
import { freePort } from '../../../../test/support/test-app';
import { TEST_REDIS_URL } from '../../../../test/support/services';
import { startTestServices, type TestServices } from '../../../../test/support/test-services';
import { categoriesOf, deliveryJobOf, type OutboxEntry } from './outbox-entry';
import { MonotonicOutboxIds } from './outbox-id';
import { OutboxMemberChangesObserver, OutboxNeedsTransaction } from './outbox-member-changes.observer';
import { OUTBOX_RETENTION_MS, OutboxPruneJob } from './outbox-prune.job';
import { OutboxRelayLoop } from './outbox-relay.loop';
import { OutboxRelay } from './outbox-relay.service';
import { DeliveryQueueUnavailable } from './outbox.errors';
import { OutboxModule } from './outbox.module';
import { OutboxStore } from './outbox.store';

const actor: Actor = {
  system: 'test:outbox',
  request: { ip: '127.0.0.1', method: 'POST', route: 'outbox.int-spec', requestId: randomUUID() },
};

interface OutboxRow {
  id: string;
  member_id: string;
  member_version: string;
  change_kind: string;
  categories: string[];
  sender: string;
  relayed_at: string | null;
  attempts: number;
}

/** A loopback TCP proxy to the test Redis that the test can cut and restore: a Redis outage and its return. */
class RedisOutage {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(readonly port: number) {}

  async up(): Promise<void> {
    const target = new URL(TEST_REDIS_URL);
    this.server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => this.sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

describe('transactional outbox and relay on a migrated database and the real Redis', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 12));
  let services: TestServices;
  let em: EntityManager;
  let writer: MemberWriter;
  let store: OutboxStore;
  let jobs: JobQueues;
  let relay: OutboxRelay;
  let organizationId: string;
  let partnerId: string;
  let next = 0;
  const ids = new MonotonicOutboxIds();

  const query = <T>(text: string, values: unknown[] = []): Promise<T[]> =>
    em.fork().getConnection().execute<T[]>(text, values);
  const outboxOf = (memberId: string) =>
    query<OutboxRow>('select * from outbox where member_id = ? order by id', [memberId]);
  const deliveries = () => jobs.queue('deliveries');
  /** The same config with Redis reached at another URL (a closed port, a proxy). */
  const redisAt = (url: string) => {
    const queues = new JobQueues({ ...services.config, redis: { ...services.config.redis, url } });
    // Connection errors are expected here; BullMQ prints them when nobody listens.
    queues.queue('deliveries').on('error', () => undefined);
    return queues;
  };

  async function reset(): Promise<void> {
    await query('delete from outbox');
    await deliveries().obliterate({ force: true });
  }

  /** Outbox rows for made-up members, written as the observer would, committed. */
  async function pending(count: number): Promise<OutboxEntry[]> {
    const entries: OutboxEntry[] = Array.from({ length: count }, (_, i) => ({
      id: ids.next(clock.nowMs()),
      topic: 'member.changed',
      memberId: `mbr_${randomBytes(13).toString('hex').toUpperCase().slice(0, 26)}`,
      organizationId,
      version: i + 1,
      kind: 'updated',
      categories: ['preferences'],
      sender: partnerId,
      occurredAt: clock.now(),
      createdAt: clock.now(),
    }));
    await em.fork().transactional((tx) => store.insert(tx, entries));
    return entries;
  }

  async function createMember(overrides: Record<string, unknown> = {}): Promise<string> {
    return (await createMemberWithValues(overrides)).id;
  }

  async function createMemberWithValues(
    overrides: Record<string, unknown> = {},
  ): Promise<{ id: string; values: MemberValues }> {
    const values = { ...valuesFromGroups(new SyntheticMemberGenerator(7100 + next).member(0)), ...overrides };
    const member = await writer.prepare({
      id: `mbr_${String(next++).padStart(26, '0')}`,
      organizationId,
      sourcePartnerId: partnerId,
      sourceRef: `outbox-${next}`,
      values,
      sender: partnerId,
      occurredAt: clock.now(),
      now: clock.now(),
    });
    await em.fork().transactional(async (tx) => {
      expect(await writer.create(tx, member)).toBe(true);
      await services.get(AuditService).record(tx, {
        ...auditActor(actor),
        action: 'member.create',
        resourceType: 'member',
        resourceIds: [member.id],
        outcome: 'success',
        statusCode: 201,
      });
    });
    return { id: member.id, values };
  }

  async function updatePreferences(memberId: string): Promise<number> {
    const values = valuesFromGroups({
      preferences: { channel: 'sms', language: 'es', marketingOptIn: true },
    });
    return em.fork().transactional(async (tx) => {
      const locked = await writer.lock(tx, memberId);
      return writer.replaceFields(tx, locked!, values, {
        sender: 'adm_TEST',
        occurredAt: clock.now(),
        now: clock.now(),
      });
    });
  }

  beforeAll(async () => {
    services = await startTestServices({
      imports: [CryptoModule, AuditModule, VendorsModule, IdentityModule, MembersModule, OutboxModule],
      clock,
    });
    em = services.get(EntityManager);
    writer = services.get(MemberWriter);
    store = services.get(OutboxStore);
    jobs = services.get(JobQueues);
    relay = services.get(OutboxRelay);
    organizationId = (await services.get(OrganizationsService).create('Outbox Org', actor)).id;
    const vendorId = (
      await services.get(VendorsService).create(
        {
          name: 'Outbox Vendor',
          role: 'partner',
          baa: {
            status: 'signed',
            signedAt: '2026-01-02',
            effectiveFrom: '2026-01-02',
            expiresAt: '2028-01-01',
            documentSha256: 'd'.repeat(64),
            permittedCategories: [...DATA_CATEGORIES],
          },
        } as never,
        actor,
      )
    ).id;
    partnerId = (
      await services.get(PartnersService).create(
        {
          name: 'Outbox Source',
          vendorId,
          type: 'membership_system',
          organizationIds: [organizationId],
          categories: [...DATA_CATEGORIES],
          purpose: 'operations',
          requiresConsent: false,
        } as never,
        actor,
      )
    ).id;
  });
  beforeEach(() => reset());
  afterAll(() => services?.close());

  describe('writing', () => {
    it('writes exactly one row per create, update and delete: ids, version, kind, categories and sender', async () => {
      const { id: memberId, values } = await createMemberWithValues();
      expect(await updatePreferences(memberId)).toBe(2);
      await em.fork().transactional(async (tx) => {
        const locked = await writer.lockForDeletion(tx, memberId);
        await writer.delete(tx, locked!, { sender: 'adm_TEST', occurredAt: clock.now(), now: clock.now() });
      });

      const rows = await outboxOf(memberId);
      expect(rows.map((r) => [r.member_version, r.change_kind, r.sender, r.relayed_at, r.attempts])).toEqual([
        ['1', 'created', partnerId, null, 0],
        ['2', 'updated', 'adm_TEST', null, 0],
        ['3', 'deleted', 'adm_TEST', null, 0],
      ]);
      const created = categoriesOf(Object.keys(values) as MemberField[]);
      expect(created).toContain('identity');
      expect(rows[0].categories).toEqual(created);
      expect(rows[1].categories).toEqual(['preferences']);
      // A deletion touches every field the member held, preferences included.
      expect(rows[2].categories).toEqual(
        categoriesOf([...(Object.keys(values) as MemberField[]), 'channel']),
      );
      // One outbox row for each member_change row, version for version.
      const changes = await query<{ version: string }>(
        'select version from member_change where member_id = ? order by version',
        [memberId],
      );
      expect(changes.map((c) => c.version)).toEqual(rows.map((r) => r.member_version));
    });

    it('leaves no outbox row when the transaction of a change rolls back, nor its change row or audit event', async () => {
      const memberId = await createMember();
      await expect(
        em.fork().transactional(async (tx) => {
          const locked = await writer.lock(tx, memberId);
          await writer.replaceFields(tx, locked!, valuesFromGroups({ preferences: { language: 'fr' } }), {
            sender: 'adm_ROLLBACK',
            occurredAt: clock.now(),
            now: clock.now(),
          });
          await services.get(AuditService).record(tx, {
            ...auditActor(actor),
            action: 'member.preferences.replace',
            resourceType: 'member',
            resourceIds: [memberId],
            outcome: 'success',
            statusCode: 200,
          });
          // Inside the transaction the row exists: the rollback, not a missing write, removes it.
          const [{ n }] = await tx.execute<Array<{ n: string }>>(
            `select count(*) as n from outbox where member_id = ? and sender = 'adm_ROLLBACK'`,
            [memberId],
          );
          expect(n).toBe('1');
          throw new Error('forced rollback');
        }),
      ).rejects.toThrow('forced rollback');

      expect((await outboxOf(memberId)).map((r) => r.change_kind)).toEqual(['created']);
      const changes = await query('select 1 from member_change where member_id = ? and version = 2', [
        memberId,
      ]);
      expect(changes).toHaveLength(0);
      const audits = await query<{ action: string }>(
        'select action from audit_event where ? = any(resource_ids) order by id',
        [memberId],
      );
      expect(audits.map((a) => a.action)).toEqual(['member.create']);
    });

    it('leaves no row for a create whose transaction rolls back', async () => {
      const member = await writer.prepare({
        id: `mbr_${String(next++).padStart(26, '0')}`,
        organizationId,
        sourcePartnerId: partnerId,
        sourceRef: `outbox-rolled-back-${next}`,
        values: valuesFromGroups(new SyntheticMemberGenerator(7000).member(0)),
        sender: partnerId,
        occurredAt: clock.now(),
        now: clock.now(),
      });
      await expect(
        em.fork().transactional(async (tx) => {
          await writer.create(tx, member);
          throw new Error('forced rollback');
        }),
      ).rejects.toThrow('forced rollback');
      expect(await outboxOf(member.id)).toEqual([]);
      expect(await query('select 1 from member where id = ?', [member.id])).toEqual([]);
    });

    it('refuses to record a change outside a transaction', async () => {
      const sut = services.get(OutboxMemberChangesObserver);
      const memberId = 'mbr_0000000000000000000000NOTX';
      await expect(
        sut.changed(em.fork(), [
          {
            kind: 'updated',
            memberId,
            organizationId,
            version: 2,
            fields: ['channel'],
            sender: 'adm_TEST',
            occurredAt: clock.now(),
            recordedAt: clock.now(),
          },
        ]),
      ).rejects.toBeInstanceOf(OutboxNeedsTransaction);
      expect(await outboxOf(memberId)).toEqual([]);
    });
  });

  describe('relaying', () => {
    it('moves rows into the deliveries queue with jobId = outbox id and marks them relayed', async () => {
      const memberId = await createMember();
      await updatePreferences(memberId);
      const rows = await outboxOf(memberId);

      expect(await relay.relayPending()).toBe(2);

      for (const row of await outboxOf(memberId)) {
        expect(new Date(row.relayed_at!)).toEqual(clock.now());
        expect(row.attempts).toBe(1);
        const job = await deliveries().getJob(row.id);
        expect(job?.name).toBe('deliveries.dispatch');
        expect(job?.data).toMatchObject({
          outboxId: row.id,
          memberId,
          organizationId,
          version: Number(row.member_version),
          kind: row.change_kind,
          categories: row.categories,
        });
      }
      expect(await deliveries().getJobCountByTypes('waiting')).toBe(rows.length);
    });

    it('relays the oldest rows first', async () => {
      const entries = await pending(5);
      expect(await relay.relayBatch(2)).toBe(2);
      const relayed = await query<{ id: string }>(
        'select id from outbox where relayed_at is not null order by id',
      );
      expect(relayed.map((r) => r.id)).toEqual(entries.slice(0, 2).map((e) => e.id));
    });

    it('queues nothing again when the relay runs a second time', async () => {
      await pending(12);
      const enqueue = jest.spyOn(jobs, 'enqueue');
      try {
        expect(await relay.relayPending({ batchSize: 5 })).toBe(12);
        expect(await relay.relayPending({ batchSize: 5 })).toBe(0);
        expect(enqueue).toHaveBeenCalledTimes(12);
      } finally {
        enqueue.mockRestore();
      }
      expect(await deliveries().getJobCountByTypes('waiting')).toBe(12);
    });

    it('shares the rows between two relays running at once: each row is queued once', async () => {
      const entries = await pending(120);
      const enqueue = jest.spyOn(jobs, 'enqueue');
      const other = new OutboxRelay(em, store, jobs, clock);
      try {
        const [a, b] = await Promise.all([
          relay.relayPending({ batchSize: 7 }),
          other.relayPending({ batchSize: 7 }),
        ]);
        expect(a + b).toBe(120);
        const queued = enqueue.mock.calls.map((call) => call[2]).sort();
        expect(queued).toEqual(entries.map((e) => e.id).sort());
      } finally {
        enqueue.mockRestore();
      }
      expect(await deliveries().getJobCountByTypes('waiting')).toBe(120);
      expect(await query('select 1 from outbox where relayed_at is null')).toEqual([]);
    });

    it('queues a row once when a relay crashed after queueing it and before marking it', async () => {
      const [entry] = await pending(1);
      // What the crashed relay left behind: the job is in Redis, the row still unrelayed.
      await jobs.enqueue('deliveries.dispatch', deliveryJobOf(entry), entry.id);

      expect(await relay.relayPending()).toBe(1);
      expect(await deliveries().getJobCountByTypes('waiting')).toBe(1);
      expect((await deliveries().getJob(entry.id))?.data).toEqual(deliveryJobOf(entry));
    });
  });

  describe('with Redis unavailable', () => {
    it('keeps the rows when Redis cannot be reached, says so, and relays each once when it can', async () => {
      const entries = await pending(4);
      const unreachable = redisAt(`redis://127.0.0.1:${await freePort()}`);
      try {
        const sut = new OutboxRelay(em, store, unreachable, clock);
        await expect(sut.relayPending()).rejects.toBeInstanceOf(DeliveryQueueUnavailable);
        const rows = await query<OutboxRow>('select * from outbox order by id');
        expect(rows.map((r) => [r.relayed_at, r.attempts])).toEqual(entries.map(() => [null, 1]));
      } finally {
        await unreachable.onApplicationShutdown();
      }

      expect(await relay.relayPending()).toBe(4);
      const waiting = await deliveries().getJobs(['waiting']);
      expect(waiting.map((job) => job.id).sort()).toEqual(entries.map((e) => e.id));
    });

    it('keeps the rows through a Redis outage and relays every one exactly once after it', async () => {
      const outage = new RedisOutage(await freePort());
      await outage.up();
      const viaProxy = redisAt(`redis://127.0.0.1:${outage.port}`);
      const enqueue = jest.spyOn(viaProxy, 'enqueue');
      const sut = new OutboxRelay(em, store, viaProxy, clock);
      try {
        const before = await pending(3);
        expect(await sut.relayPending()).toBe(3);

        await outage.down();
        const during = await pending(5);
        await expect(sut.relayPending()).rejects.toBeInstanceOf(DeliveryQueueUnavailable);
        const unrelayed = await query<{ id: string }>(
          'select id from outbox where relayed_at is null order by id',
        );
        expect(unrelayed.map((r) => r.id)).toEqual(during.map((e) => e.id));

        await outage.up();
        let relayed: number | undefined;
        for (let attempt = 0; attempt < 40 && relayed === undefined; attempt += 1) {
          relayed = await sut.relayPending().catch(async (error: unknown) => {
            if (!(error instanceof DeliveryQueueUnavailable)) throw error;
            await new Promise((resolve) => setTimeout(resolve, 250));
            return undefined;
          });
        }
        expect(relayed).toBe(5);

        const all = [...before, ...during].map((e) => e.id).sort();
        const waiting = await deliveries().getJobs(['waiting']);
        expect(waiting.map((job) => job.id).sort()).toEqual(all);
        const added = enqueue.mock.calls.map((call) => call[2]);
        expect(new Set(added).size).toBe(added.length);
        expect(added.sort()).toEqual(all);
      } finally {
        enqueue.mockRestore();
        await viaProxy.onApplicationShutdown();
        await outage.down();
      }
    });
  });

  it('holds no ePHI in the outbox table nor in the queued jobs (canary scan with a positive control)', async () => {
    const canary = `Zq${randomBytes(8).toString('hex')}canary`;
    const memberId = await createMember({ givenName: canary, familyName: canary });
    await updatePreferences(memberId);
    await relay.relayPending();

    const table = (await query<{ row: string }>('select o::text as row from outbox o'))
      .map((r) => r.row)
      .join('\n');
    expect(table).toContain(memberId);
    expect(table).not.toContain(canary);

    const redis = new Redis(TEST_REDIS_URL);
    try {
      const keys = await redis.keys(`{${services.config.redis.keyPrefix}}:deliveries:*`);
      let dump = keys.join('\n');
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === 'hash') dump += JSON.stringify(await redis.hgetall(key));
        else if (type === 'list') dump += (await redis.lrange(key, 0, -1)).join('\n');
        else if (type === 'zset') dump += (await redis.zrange(key, '0', '-1')).join('\n');
        else if (type === 'string') dump += await redis.get(key);
        else if (type === 'stream') dump += JSON.stringify(await redis.xrange(key, '-', '+'));
      }
      expect(dump).toContain(memberId);
      expect(dump).not.toContain(canary);
    } finally {
      redis.disconnect();
    }
  });

  it('relays from the worker loop without being asked, within moments of the commit', async () => {
    const entries = await pending(3);
    const sut = new OutboxRelayLoop(relay);
    sut.onApplicationBootstrap();
    try {
      for (let i = 0; i < 100; i += 1) {
        if ((await query('select 1 from outbox where relayed_at is null')).length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await sut.onApplicationShutdown();
    }
    const waiting = await deliveries().getJobs(['waiting']);
    expect(waiting.map((job) => job.id).sort()).toEqual(entries.map((e) => e.id));
  });

  it('prunes relayed rows past their retention and never an unrelayed one', async () => {
    const [old] = await pending(1);
    await relay.relayPending();
    clock.advance(OUTBOX_RETENTION_MS - 60_000);
    const [recent] = await pending(1);
    await relay.relayPending();
    const [unrelayed] = await pending(1);
    clock.advance(2 * 60_000);

    expect(await services.get(OutboxPruneJob).run({ reason: 'retention' })).toEqual({ rows: 1 });
    const left = await query<{ id: string }>('select id from outbox order by id');
    expect(left.map((r) => r.id)).toEqual([recent.id, unrelayed.id]);
    expect(left.map((r) => r.id)).not.toContain(old.id);
  });
});
