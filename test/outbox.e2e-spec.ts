import type { INestApplicationContext } from '@nestjs/common';
import { faker } from '@faker-js/faker';
import { DATA_CATEGORIES, JobQueues, ManualClock } from '@app/common';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import { createClient, loginAdmin, setupPartner, sql, type PartnerSetup } from './support/identity-fixtures';
import { clientToken, createMember, syntheticMember } from './support/member-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(5151);

interface OutboxRow extends Record<string, unknown> {
  id: string;
  change_kind: string;
  member_version: string;
  relayed_at: Date | null;
}

describe('outbox: member changes through the API reach the deliveries queue via the worker', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let worker: INestApplicationContext;
  let source: PartnerSetup;
  let syncToken: string;

  beforeAll(async () => {
    api = await startTestApi({ clock });
    worker = await createWorkerApplication(api.config, { clock });
    const officer = await loginAdmin(api, clock, 'compliance_officer');
    const security = await loginAdmin(api, clock, 'security_admin');
    source = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const client = await createClient(api, security.accessToken, source.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['sync:write', 'members:read', 'members:write'],
    });
    syncToken = await clientToken(api, client);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  const outboxOf = (memberId: string) =>
    sql<OutboxRow>(api, 'select * from outbox where member_id = $1 order by id', [memberId]);

  it('queues a create and a deletion once each, with jobId = outbox id, and the worker runs them', async () => {
    const id = await createMember(api, syncToken, syntheticMember(source.organizationId));
    const deleted = await api
      .http()
      .delete(`/api/v1/members/${id}`)
      .set('authorization', `Bearer ${syncToken}`);
    expect(deleted.status).toBe(204);

    const rows = await outboxOf(id);
    expect(rows.map((r) => [r.change_kind, r.member_version])).toEqual([
      ['created', '1'],
      ['deleted', '2'],
    ]);

    // The worker's relay polls every 250 ms and the placeholder handler completes each job.
    const deliveries = api.app.get(JobQueues).queue('deliveries');
    const states = async () =>
      Promise.all(rows.map(async (row) => (await deliveries.getJob(row.id))?.getState() ?? 'absent'));
    let seen = await states();
    for (let i = 0; i < 100 && seen.some((s) => s !== 'completed'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await states();
    }
    expect(seen).toEqual(['completed', 'completed']);

    for (const row of rows) {
      const job = await deliveries.getJob(row.id);
      expect(job?.name).toBe('deliveries.dispatch');
      expect(job?.data).toMatchObject({
        outboxId: row.id,
        memberId: id,
        organizationId: source.organizationId,
      });
    }
    expect((await outboxOf(id)).every((row) => row.relayed_at !== null)).toBe(true);
    expect(await deliveries.getJobCountByTypes('completed', 'waiting', 'active', 'failed')).toBe(2);
  });
});
