import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { JobQueues, newId } from '@app/common';
import { startTestServices, type TestServices } from '../../../test/support/test-services';
import { Alert } from './alert.entity';
import { AuditModule } from './audit.module';
import { AuditService, type AuditRecord } from './audit.service';
import { AuditVerifierService } from './chain/audit-verifier.service';

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
