import { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '@app/common';
import { startTestServices, type TestServices } from '../../../../test/support/test-services';
import { AuditModule } from '../audit.module';
import { AuditService, type AuditRecord } from '../audit.service';
import { AuditQueryService } from './audit-query.service';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 20, 12, minute));

describe('AuditQueryService.disclosedToClient', () => {
  let services: TestServices;
  const client = newId('client');
  const other = newId('client');
  const subscription = 'sub_OWN';
  const othersSubscription = 'sub_OTHER';
  const m = Array.from({ length: 10 }, () => newId('member'));

  const event = (overrides: Partial<AuditRecord>): AuditRecord => ({
    actorType: 'partner_client',
    actorId: client,
    clientId: client,
    action: 'member.read',
    resourceType: 'member',
    outcome: 'success',
    occurredAt: at(10),
    ...overrides,
  });

  beforeAll(async () => {
    services = await startTestServices({ imports: [AuditModule] });
    const audit = services.get(AuditService);
    const events: AuditRecord[] = [
      event({ resourceIds: [m[0]], categories: ['identity'] }),
      event({ resourceIds: [m[1]], occurredAt: at(0) }), // before the window
      event({ resourceIds: [m[2]], occurredAt: at(30) }), // at `to`: excluded
      event({ resourceIds: [m[3]], outcome: 'denied' }),
      event({ action: 'member.list', resourceIds: [m[4], m[5], m[0]], categories: ['coverage'] }),
      event({ action: 'member.search', resourceIds: [m[6]] }),
      event({ action: 'webhook_subscription.create', resourceIds: [subscription], occurredAt: at(1) }),
      event({
        actorType: 'system',
        actorId: 'deliveries',
        clientId: subscription,
        action: 'member.deliver',
        resourceIds: [m[7]],
        categories: ['contact'],
      }),
      event({
        actorType: 'system',
        actorId: 'deliveries',
        clientId: othersSubscription,
        action: 'member.deliver',
        resourceIds: [m[8]],
      }),
      event({ actorId: other, clientId: other, resourceIds: [m[9]], categories: ['wellness'] }),
    ];
    for (const e of events) await audit.record(services.get(EntityManager).fork(), e);
  });
  afterAll(() => services.close());

  it('names the members the client received in [from, to): reads, lists and deliveries to its subscriptions', async () => {
    const sut = services.get(AuditQueryService);
    const found = await sut.disclosedToClient(client, { from: at(5), to: at(30) });
    expect(found.memberIds).toEqual([m[0], m[4], m[5], m[7]].sort());
    expect(found.categories).toEqual(['contact', 'coverage', 'identity']);
  });

  it('finds nothing for a client without events, or an empty window', async () => {
    const sut = services.get(AuditQueryService);
    expect(await sut.disclosedToClient(newId('client'), { from: at(0), to: at(59) })).toEqual({
      memberIds: [],
      categories: [],
    });
    expect((await sut.disclosedToClient(client, { from: at(11), to: at(29) })).memberIds).toEqual([]);
  });
});
