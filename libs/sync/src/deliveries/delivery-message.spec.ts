import {
  changedGroupsOnly,
  deliveryEventType,
  deliveryWebhookId,
  revocationNoticeData,
  sendJobId,
  serializeDeliveryBody,
  type MemberChangeKind,
} from './delivery-message';

describe('delivery messages', () => {
  it.each<[MemberChangeKind, boolean, string]>([
    ['created', false, 'member.created'],
    ['updated', false, 'member.updated'],
    ['deleted', false, 'member.deleted'],
    ['updated', true, 'member.deleted'],
    ['created', true, 'member.deleted'],
  ])('delivers a %s change (member gone: %p) as %s', (kind, gone, expected) => {
    expect(deliveryEventType(kind, gone)).toBe(expected);
  });

  it('gives one webhook-id per change and subscription, the same whatever the attempt', () => {
    const id = deliveryWebhookId('obx_1', 'wsb_2');
    expect(id).toBe('obx_1.wsb_2');
    expect(deliveryWebhookId('obx_1', 'wsb_2')).toBe(id);
    expect(deliveryWebhookId('obx_1', 'wsb_3')).not.toBe(id);
  });

  it.each([
    [1, 'obx_1.wsb_2'],
    [2, 'obx_1.wsb_2.a2'],
    [10, 'obx_1.wsb_2.a10'],
  ])('names attempt %p job %p, never with a colon', (attempt, expected) => {
    expect(sendJobId('obx_1', 'wsb_2', attempt)).toBe(expected);
    expect(expected).not.toContain(':');
  });

  it.each([
    [1, 1, 'obx_1.wsb_2.r1'],
    [1, 3, 'obx_1.wsb_2.r1.a3'],
    [2, 1, 'obx_1.wsb_2.r2'],
  ])(
    'names a resumed delivery (resume %p, attempt %p) apart from its first life',
    (resumed, attempt, expected) => {
      expect(sendJobId('obx_1', 'wsb_2', attempt, resumed)).toBe(expected);
      expect(deliveryWebhookId('obx_1', 'wsb_2')).toBe('obx_1.wsb_2');
    },
  );

  it('serializes a revocation notice with a null version and the consent, never a member value', () => {
    const bytes = serializeDeliveryBody({
      type: 'consent.revoked',
      memberId: 'mbr_1',
      version: null,
      occurredAt: '2026-11-30T10:00:00.000Z',
      data: revocationNoticeData({ consentId: 'cns_1', purpose: 'wellness', categories: ['contact'] }),
    });
    expect(bytes.toString('utf8')).toBe(
      '{"type":"consent.revoked","memberId":"mbr_1","version":null,"occurredAt":"2026-11-30T10:00:00.000Z","data":{"consentId":"cns_1","purpose":"wellness","categories":["contact"]}}',
    );
  });

  it('serializes the body in the contract order, data last, null for a deletion', () => {
    const bytes = serializeDeliveryBody({
      data: null,
      occurredAt: '2026-11-30T10:00:00.000Z',
      version: 3,
      memberId: 'mbr_1',
      type: 'member.deleted',
    });
    expect(bytes.toString('utf8')).toBe(
      '{"type":"member.deleted","memberId":"mbr_1","version":3,"occurredAt":"2026-11-30T10:00:00.000Z","data":null}',
    );
  });
  it("names the source's sourceRef after memberId, only when it is given", () => {
    const bytes = serializeDeliveryBody({
      type: 'member.updated',
      memberId: 'mbr_1',
      sourceRef: 'src_9',
      version: 4,
      occurredAt: '2026-11-30T10:00:00.000Z',
      data: { preferences: { language: 'en' } },
    });
    expect(bytes.toString('utf8')).toBe(
      '{"type":"member.updated","memberId":"mbr_1","sourceRef":"src_9","version":4,"occurredAt":"2026-11-30T10:00:00.000Z","data":{"preferences":{"language":"en"}}}',
    );
  });

  const document = {
    id: 'mbr_1',
    version: 4,
    status: 'active',
    identity: { familyName: 'x' },
    contact: { phone: 'y' },
    preferences: { language: 'en' },
  };
  it.each([
    ['only preferences changed', ['preferences'], ['id', 'version', 'status', 'preferences']],
    [
      'identity and contact changed',
      ['identity', 'contact'],
      ['id', 'version', 'status', 'identity', 'contact'],
    ],
    ['a group the subscriber may not see changed', ['governmentId'], ['id', 'version', 'status']],
    [
      'no categories known (an older job)',
      undefined,
      ['id', 'version', 'status', 'identity', 'contact', 'preferences'],
    ],
  ] as const)('sends the source only the groups a change touched: %s', (_case, changed, keys) => {
    const categories = changed?.map((c) => (c === 'governmentId' ? 'government_id' : c)) as
      Parameters<typeof changedGroupsOnly>[1] | undefined;
    expect(Object.keys(changedGroupsOnly(document, categories))).toEqual(keys);
  });
});
