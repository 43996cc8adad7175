import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { mock, type MockProxy } from 'jest-mock-extended';
import { ManualClock } from '@app/common';
import { webhookHeaders } from '@app/crypto';
import { DeliveryFaults } from './delivery-faults';
import { DeliveryInbox } from './delivery-inbox';
import { InvalidDelivery } from './sim-errors';
import { SimSettings } from './sim-settings';
import { SimStore } from './sim-store';

const MEMBER_ID = 'mbr_01JTESTMEMBER0000000000000';
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

/** What our API's deliveries send (DESIGN §4): `{type, memberId, version, occurredAt, data}`. */
const bodies = {
  deletion: {
    type: 'member.deleted',
    memberId: MEMBER_ID,
    version: 4,
    occurredAt: '2026-11-30T10:00:00Z',
    data: null,
  },
  update: {
    type: 'member.updated',
    memberId: MEMBER_ID,
    version: 3,
    occurredAt: '2026-11-30T10:00:00Z',
    data: {
      id: MEMBER_ID,
      version: 3,
      status: 'active',
      preferences: { channel: 'sms', language: 'es', marketingOptIn: true },
    },
  },
  updateWithoutData: {
    type: 'member.updated',
    memberId: MEMBER_ID,
    version: 3,
    occurredAt: '2026-11-30T10:00:00Z',
    data: null,
  },
};

describe('DeliveryInbox', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 10));
  let store: MockProxy<SimStore>;
  let sut: DeliveryInbox;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => {
    store = mock<SimStore>();
    store.applyDelivery.mockResolvedValue('applied');
    const settings = mock<SimSettings>({ faults: new DeliveryFaults() });
    settings.secretsForDeliveries.mockReturnValue([SECRET]);
    sut = new DeliveryInbox(store, settings, clock);
  });

  const receive = (body: object) => {
    const text = JSON.stringify(body);
    const headers = webhookHeaders(SECRET, `msg_${randomBytes(6).toString('hex')}`, clock.nowSeconds(), text);
    return sut.receive({ ...headers }, Buffer.from(text));
  };

  it.each([
    [
      'a deletion with data: null marks the member deleted',
      bodies.deletion,
      { deleted: true, changes: {}, groups: [] },
    ],
    [
      'an update applies the groups of its member document, not its other keys',
      bodies.update,
      {
        deleted: false,
        changes: { preferences: bodies.update.data.preferences },
        groups: ['preferences'],
      },
    ],
  ])('%s', async (_name, body, applied) => {
    await expect(receive(body)).resolves.toEqual({ status: 200, body: { status: 'applied' } });
    expect(store.applyDelivery).toHaveBeenCalledWith(
      expect.objectContaining({ memberId: MEMBER_ID, ...applied }),
    );
  });

  it('refuses an update that carries no member data', async () => {
    await expect(receive(bodies.updateWithoutData)).rejects.toBeInstanceOf(InvalidDelivery);
    expect(store.applyDelivery).not.toHaveBeenCalled();
  });
});
