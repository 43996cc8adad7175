import { EntityManager } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { startTestServices, type TestServices } from '../../../../test/support/test-services';
import { ChangeGroupCommit } from './change-group-commit';

/** A promise with its resolver: the steps of the two "processes" are ordered by these. */
function signal(): { done: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const done = new Promise<void>((resolve) => (fire = resolve));
  return { done, fire };
}

/**
 * Two ChangeGroupCommit instances are two processes (API replicas, or an API and a polling worker)
 * on one database. A group holding one row (in production: the audit chain head) waits for a row
 * the other process locked first, and that process then waits for the group's row: PostgreSQL
 * aborts one side with 40P01. Found by test/scale-out.e2e-spec.ts, where it answered the
 * membership system 500 for a valid signed update.
 */
describe('ChangeGroupCommit across processes (real PostgreSQL)', () => {
  let services: TestServices;
  let em: EntityManager;

  const rows = async () => {
    const client = new Client({ connectionString: services.database.url });
    await client.connect();
    try {
      return (await client.query<{ id: number; n: number }>('select id, n from lock_probe order by id')).rows;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    services = await startTestServices({ imports: [] });
    em = services.get(EntityManager);
    const owner = new Client({ connectionString: services.database.url });
    await owner.connect();
    try {
      await owner.query('create table lock_probe (id int primary key, n int not null)');
      await owner.query(
        `grant select, update on lock_probe to ${services.config.database.appRole || 'current_user'}`,
      );
    } finally {
      await owner.end();
    }
  }, 60_000);

  afterAll(async () => {
    await services?.close();
  });

  beforeEach(async () => {
    const owner = new Client({ connectionString: services.database.url });
    await owner.connect();
    try {
      await owner.query('delete from lock_probe');
      await owner.query('insert into lock_probe (id, n) values (1, 0), (2, 0)');
    } finally {
      await owner.end();
    }
  });

  it('runs a change PostgreSQL aborted to break a deadlock again, so every change commits exactly once', async () => {
    const first = new ChangeGroupCommit(em.fork());
    const second = new ChangeGroupCommit(em.fork());
    const bump = (tx: EntityManager, id: number) =>
      tx.execute('update lock_probe set n = n + 1 where id = ?', [id]);
    const groupHoldsRow1 = signal();
    const otherHoldsRow2 = signal();
    const release = signal();
    const runs = { a1: 0, a2: 0, b: 0 };

    // The first process is busy; the next two changes wait and then share one transaction.
    const busy = first.run(() => release.done);
    const a1 = first.run(async (tx) => {
      runs.a1 += 1;
      await bump(tx, 1);
      groupHoldsRow1.fire();
    });
    const a2 = first.run(async (tx) => {
      runs.a2 += 1;
      await otherHoldsRow2.done;
      await bump(tx, 2); // waits for the other process
    });
    // The other process locks row 2, then asks for row 1, which the first one's group holds.
    const b = second.run(async (tx) => {
      runs.b += 1;
      await groupHoldsRow1.done;
      await bump(tx, 2);
      otherHoldsRow2.fire();
      await new Promise((resolve) => setTimeout(resolve, 300)); // the group is now waiting for row 2
      await bump(tx, 1);
    });
    release.fire();
    await busy;

    const settled = await Promise.allSettled([a1, a2, b]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    // Each change counted once: the aborted one's first run left nothing behind.
    expect(await rows()).toEqual([
      { id: 1, n: 2 },
      { id: 2, n: 2 },
    ]);
    // Positive control: PostgreSQL did abort one side (it ran twice), so the cycle was real.
    expect(runs.a1 + runs.a2 + runs.b).toBe(4);
  }, 30_000);

  it('still fails a change at once for any other database error', async () => {
    const sut = new ChangeGroupCommit(em.fork());
    await expect(
      sut.run((tx) => tx.execute('update lock_probe set n = null where id = 1')),
    ).rejects.toMatchObject({
      code: '23502',
    });
    expect(await rows()).toEqual([
      { id: 1, n: 0 },
      { id: 2, n: 0 },
    ]);
  });
});
