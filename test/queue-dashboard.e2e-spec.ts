import type { INestApplicationContext } from '@nestjs/common';
import { JobQueues, ManualClock, type QueueName } from '@app/common';
import { JobsRunner } from '../apps/worker/src/jobs/jobs-runner';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import { loginAdmin, sql, type AdminSession } from './support/identity-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

const API = '/admin/queues/api';
const CHECKPOINT_SCHEDULE = 'schedule:audit.checkpoint';

interface QueueAuditRow extends Record<string, unknown> {
  action: string;
  outcome: string;
  actor_id: string;
  resource_ids: string[] | null;
  status_code: number;
}

describe('queue dashboard', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let worker: INestApplicationContext;
  let operator: AdminSession;
  let security: AdminSession;
  let queues: JobQueues;

  beforeAll(async () => {
    api = await startTestApi({ clock });
    // The worker declares the audit checkpoint schedule at start, as in production.
    worker = await createWorkerApplication(api.config, { clock });
    operator = await loginAdmin(api, clock, 'operator');
    security = await loginAdmin(api, clock, 'security_admin');
    queues = api.app.get(JobQueues);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  const put = (admin: AdminSession, path: string) =>
    api.http().put(`${API}${path}`).set('authorization', `Bearer ${admin.accessToken}`).send({});
  const queueAudit = (action: string) =>
    sql<QueueAuditRow>(
      api,
      `select action, outcome, actor_id, resource_ids, status_code from audit_event where action = $1 order by id`,
      [action],
    );
  const paused = (name: QueueName) => queues.queue(name).isPaused();
  const checkpointSchedule = () => queues.queue('audit').getJobScheduler(CHECKPOINT_SCHEDULE);

  it('lets an operator read the board and its queues', async () => {
    const page = await api.http().get('/admin/queues').set('authorization', `Bearer ${operator.accessToken}`);
    expect(page.status).toBe(200);
    const list = await api.http().get(`${API}/queues`).set('authorization', `Bearer ${operator.accessToken}`);
    expect(list.status).toBe(200);
    expect(list.body.queues.map((q: { name: string }) => q.name).sort()).toEqual([
      'alerts',
      'audit',
      'compliance',
      'deliveries',
      'keys',
      'polling',
      'sync',
    ]);
  });

  it.each([
    ['pause the alerts queue', '/queues/alerts/pause', 'queues.pause', ['alerts']],
    [
      'pause every queue',
      '/queues/pause',
      'queues.pause',
      ['alerts', 'audit', 'compliance', 'deliveries', 'keys', 'polling', 'sync'],
    ],
    ['empty the alerts queue', '/queues/alerts/empty', 'queues.empty', ['alerts']],
    ['clean completed audit jobs', '/queues/audit/clean/completed', 'queues.clean', ['audit']],
    [
      'remove the audit checkpoint schedule',
      `/queues/audit/job-schedulers/${encodeURIComponent(CHECKPOINT_SCHEDULE)}/remove`,
      'queues.job_schedulers.remove',
      ['audit'],
    ],
  ])('refuses an operator to %s (403, audited as denied)', async (_what, path, action, queueNames) => {
    const res = await put(operator, path);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 403, requestId: res.headers['x-request-id'] });
    expect(res.body.type).toMatch(/\/forbidden$/);

    expect(await paused('alerts')).toBe(false);
    expect(await paused('audit')).toBe(false);
    expect(await checkpointSchedule()).toBeDefined();
    expect(await queueAudit(action)).toContainEqual({
      action,
      outcome: 'denied',
      actor_id: operator.id,
      resource_ids: queueNames,
      status_code: 403,
    });
  });

  it('refuses an operator the other mutation methods too (add a job, edit a schedule)', async () => {
    const auth = `Bearer ${operator.accessToken}`;
    const add = await api
      .http()
      .post(`${API}/queues/alerts/add`)
      .set('authorization', auth)
      .send({ name: 'alerts.deliver', data: {} });
    expect(add.status).toBe(403);
    const edit = await api
      .http()
      .patch(`${API}/queues/audit/job-schedulers/${encodeURIComponent(CHECKPOINT_SCHEDULE)}`)
      .set('authorization', auth)
      .send({ repeat: { every: 1 } });
    expect(edit.status).toBe(403);
    expect(await queues.queue('alerts').count()).toBe(0);
    expect((await checkpointSchedule())?.every).toBe(api.config.audit.checkpointIntervalSeconds * 1000);
    expect((await queueAudit('queues.add')).map((e) => e.outcome)).toEqual(['denied']);
    expect((await queueAudit('queues.job_schedulers.update')).map((e) => e.outcome)).toEqual(['denied']);
  });

  it('lets a security admin pause and resume a queue, each audited with the queue name', async () => {
    const pause = await put(security, '/queues/alerts/pause');
    expect(pause.status).toBe(200);
    expect(await paused('alerts')).toBe(true);
    const resume = await put(security, '/queues/alerts/resume');
    expect(resume.status).toBe(200);
    expect(await paused('alerts')).toBe(false);

    const success = { outcome: 'success', actor_id: security.id, resource_ids: ['alerts'], status_code: 200 };
    expect(await queueAudit('queues.pause')).toContainEqual({ action: 'queues.pause', ...success });
    expect(await queueAudit('queues.resume')).toContainEqual({ action: 'queues.resume', ...success });
    // One event per request: the mutation's own, not a second generic one.
    const generic = await sql(
      api,
      `select 1 from audit_event where action = 'http.request' and actor_id = $1 and method = 'PUT'`,
      [security.id],
    );
    expect(generic).toEqual([]);
  });

  it('the worker restores a removed schedule when it re-asserts its schedules', async () => {
    expect(await checkpointSchedule()).toBeDefined();
    const removed = await put(
      security,
      `/queues/audit/job-schedulers/${encodeURIComponent(CHECKPOINT_SCHEDULE)}/remove`,
    );
    expect(removed.status).toBe(204);
    expect(await checkpointSchedule()).toBeUndefined();
    expect(await queueAudit('queues.job_schedulers.remove')).toContainEqual({
      action: 'queues.job_schedulers.remove',
      outcome: 'success',
      actor_id: security.id,
      resource_ids: ['audit'],
      status_code: 204,
    });

    await worker.get(JobsRunner).reassertSchedules();

    expect(await checkpointSchedule()).toMatchObject({
      key: CHECKPOINT_SCHEDULE,
      every: api.config.audit.checkpointIntervalSeconds * 1000,
    });
  });
});
