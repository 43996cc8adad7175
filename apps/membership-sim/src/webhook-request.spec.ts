import { webhookRequestFor } from './webhook-request';

const org = 'org_01JABCDEFGHJKMNPQRSTVWXYZ0';

describe('webhookRequestFor', () => {
  it('sends a create as the signed POST /api/v1/members with every group', () => {
    const sut = webhookRequestFor(
      {
        kind: 'create',
        sourceRef: 'src_abc12345',
        eventId: 'evt_1',
        occurredAt: '2026-01-01T00:00:00.000Z',
        changes: { preferences: { channel: 'email', language: 'en', marketingOptIn: false } },
      },
      org,
    );
    expect(sut.path).toBe('/api/v1/members');
    expect(JSON.parse(sut.body)).toEqual({
      eventId: 'evt_1',
      occurredAt: '2026-01-01T00:00:00.000Z',
      sourceRef: 'src_abc12345',
      organizationId: org,
      preferences: { channel: 'email', language: 'en', marketingOptIn: false },
    });
  });

  it('sends an update as a one-item batch addressed by sourceRef', () => {
    const sut = webhookRequestFor(
      {
        kind: 'update',
        sourceRef: 'src_abc12345',
        eventId: 'evt_2',
        occurredAt: '2026-01-01T00:00:00.001Z',
        changes: { contact: { phone: '+15550000001' } },
      },
      org,
    );
    expect(sut.path).toBe('/api/v1/sync/batches');
    expect(JSON.parse(sut.body)).toEqual({
      updates: [
        {
          sourceRef: 'src_abc12345',
          eventId: 'evt_2',
          occurredAt: '2026-01-01T00:00:00.001Z',
          changes: { contact: { phone: '+15550000001' } },
        },
      ],
    });
  });
});
