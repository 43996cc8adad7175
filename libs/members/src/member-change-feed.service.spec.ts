import { randomUUID } from 'node:crypto';
import { mock } from 'jest-mock-extended';
import { AlertsService, AuditService } from '@app/audit';
import { type Actor, type DataCategory, type PartnerPrincipal } from '@app/common';
import { SignedCursors } from '@app/crypto';
import type { MemberField } from './catalog/field-catalog';
import { MemberAccessPolicy } from './member-access.policy';
import { MemberChangeFeedStore, type FeedChangeRow } from './member-change-feed.store';
import { MemberChangeFeed, visibleChangeCategories } from './member-change-feed.service';
import { MemberCipher } from './member-cipher';
import { IntegrityViolation, InvalidCursor } from './member.errors';
import { MemberStore, type StoredMember } from './member.store';
import { valuesFromGroups } from './projection';

describe('visibleChangeCategories', () => {
  it.each<[string, MemberField[], DataCategory[], DataCategory[]]>([
    ['a field the partner sees', ['email'], ['identity', 'contact'], ['contact']],
    ['a field it may not see', ['ssn'], ['identity', 'contact'], []],
    ['several fields of one category, once', ['givenName', 'familyName'], ['identity'], ['identity']],
    [
      'mixed, in catalog order',
      ['email', 'ssn', 'givenName'],
      ['contact', 'identity'],
      ['identity', 'contact'],
    ],
    ['nothing visible', ['givenName'], [], []],
  ])('%s', (_name, fields, visible, expected) => {
    expect(visibleChangeCategories(fields, visible)).toEqual(expected);
  });
});

describe('MemberChangeFeed', () => {
  const principal: PartnerPrincipal = {
    kind: 'partner_client',
    id: 'cli_A',
    partnerId: 'prt_A',
    partnerType: 'benefits_admin',
    vendorId: 'vnd_A',
    organizationIds: ['org_A'],
    categories: ['identity', 'contact'],
    purpose: 'operations',
    requiresConsent: true,
    scopes: new Set(['members:read']),
  };
  const actor: Actor = {
    principal,
    request: { ip: '127.0.0.1', method: 'GET', route: '/api/v1/changes', requestId: randomUUID() },
  };
  const row = (memberId: string, version: number, fields: MemberField[], seq: string): FeedChangeRow => ({
    position: { tx: '700', seq },
    memberId,
    organizationId: 'org_A',
    version,
    kind: version === 1 ? 'created' : 'updated',
    fields,
    occurredAt: new Date('2026-11-30T08:00:00.000Z'),
  });
  const stored = (id: string): StoredMember => ({
    id,
    organizationId: 'org_A',
    version: 2,
    status: 'active',
    updatedAt: new Date('2026-11-30T09:00:00.000Z'),
    keyVersion: 1,
    wrappedKey: null,
    ciphertexts: { givenName: Buffer.from('x'), email: Buffer.from('y') },
  });
  const values = valuesFromGroups({
    identity: { givenName: 'Synthetic' },
    contact: { email: 'synthetic@example.test' },
  });

  function setup() {
    const policy = mock<MemberAccessPolicy>();
    const changes = mock<MemberChangeFeedStore>();
    const store = mock<MemberStore>();
    const cipher = mock<MemberCipher>();
    const cursors = mock<SignedCursors>();
    const audit = mock<AuditService>();
    const alerts = mock<AlertsService>();
    policy.readable.mockResolvedValue(['identity', 'contact']);
    cursors.sign.mockImplementation((state) => Promise.resolve(JSON.stringify(state)));
    cursors.verify.mockImplementation((cursor) => Promise.resolve(JSON.parse(cursor) as never));
    cipher.open.mockResolvedValue(values);
    const sut = new MemberChangeFeed(policy, changes, store, cipher, cursors, audit, alerts);
    return { sut, policy, changes, store, cipher, audit };
  }

  it("narrows each entry to that member's visible categories (the consent hook), data and categories alike", async () => {
    const { sut, policy, changes, store } = setup();
    changes.page.mockResolvedValue([row('mbr_A', 2, ['email'], '1'), row('mbr_B', 2, ['email'], '2')]);
    store.findLiveMany.mockResolvedValue([stored('mbr_A'), stored('mbr_B')]);
    // Member B's consent covers identity only.
    policy.visibleCategories.mockResolvedValue(
      new Map<string, DataCategory[]>([
        ['mbr_A', ['identity', 'contact']],
        ['mbr_B', ['identity']],
      ]),
    );
    const page = await sut.page(actor, {});
    const [a, b] = page.changes;
    expect(a.member).toMatchObject({
      identity: { givenName: 'Synthetic' },
      contact: { email: 'synthetic@example.test' },
    });
    expect(a.categories).toEqual(['contact']);
    expect(b.member).not.toHaveProperty('contact');
    expect(b.member).toMatchObject({ identity: { givenName: 'Synthetic' } });
    expect(b.categories).toEqual([]);
  });

  it('reads the members of a page in one batch, each member once', async () => {
    const { sut, changes, store, policy } = setup();
    changes.page.mockResolvedValue([row('mbr_A', 1, ['givenName'], '1'), row('mbr_A', 2, ['email'], '2')]);
    store.findLiveMany.mockResolvedValue([stored('mbr_A')]);
    policy.visibleCategories.mockResolvedValue(
      new Map([['mbr_A', ['identity', 'contact'] as DataCategory[]]]),
    );
    const page = await sut.page(actor, { limit: 5 });
    expect(store.findLiveMany).toHaveBeenCalledTimes(1);
    expect(store.findLiveMany.mock.calls[0][1]).toEqual(['mbr_A']);
    expect(page.changes).toHaveLength(2);
    expect(page.hasMore).toBe(false);
  });

  it('asks for one row more than the limit to answer hasMore, and resumes after the last row served', async () => {
    const { sut, changes, store, policy } = setup();
    changes.page.mockResolvedValue([row('mbr_A', 1, ['givenName'], '1'), row('mbr_A', 2, ['email'], '2')]);
    store.findLiveMany.mockResolvedValue([stored('mbr_A')]);
    policy.visibleCategories.mockResolvedValue(new Map([['mbr_A', ['identity'] as DataCategory[]]]));
    const page = await sut.page(actor, { limit: 1 });
    expect(changes.page).toHaveBeenCalledWith(['org_A'], { tx: '0', seq: '0' }, 2);
    expect(page.hasMore).toBe(true);
    expect(page.changes).toHaveLength(1);
    expect(JSON.parse(page.nextCursor)).toEqual({ k: 'changes', t: '700', s: '1', p: 'prt_A' });
  });

  it('withholds the changes of a member whose record fails its integrity check, and still moves on', async () => {
    const { sut, changes, store, policy, cipher, audit } = setup();
    changes.page.mockResolvedValue([row('mbr_A', 2, ['email'], '1'), row('mbr_B', 2, ['email'], '2')]);
    store.findLiveMany.mockResolvedValue([stored('mbr_A'), stored('mbr_B')]);
    policy.visibleCategories.mockResolvedValue(
      new Map<string, DataCategory[]>([
        ['mbr_A', ['contact']],
        ['mbr_B', ['contact']],
      ]),
    );
    cipher.open.mockImplementation((m) =>
      m.id === 'mbr_A' ? Promise.reject(new IntegrityViolation()) : Promise.resolve(values),
    );
    const page = await sut.page(actor, {});
    expect(page.withheld).toEqual(['mbr_A']);
    expect(page.changes.map((c) => c.memberId)).toEqual(['mbr_B']);
    expect(JSON.parse(page.nextCursor)).toMatchObject({ s: '2' });
    expect(audit.recordStandalone.mock.calls[0][0].resourceIds).toEqual(['mbr_B']);
  });

  it('leaves out the changes of a member without consent (a deletion too), and still moves past them', async () => {
    const { sut, changes, store, policy, cipher, audit } = setup();
    changes.page.mockResolvedValue([
      row('mbr_A', 2, ['email'], '1'),
      row('mbr_B', 2, ['email'], '2'),
      { ...row('mbr_C', 3, ['email'], '3'), kind: 'deleted' },
    ]);
    store.findLiveMany.mockResolvedValue([stored('mbr_A'), stored('mbr_B')]);
    // Only A has a consent in effect; B and C are hidden from this consent-requiring partner.
    policy.visibleCategories.mockResolvedValue(
      new Map<string, DataCategory[]>([
        ['mbr_A', ['contact']],
        ['mbr_B', []],
        ['mbr_C', []],
      ]),
    );
    const page = await sut.page(actor, {});
    expect(page.changes.map((c) => c.memberId)).toEqual(['mbr_A']);
    expect(policy.visibleCategories.mock.calls[0][2].map((m) => m.id)).toEqual(['mbr_A', 'mbr_B', 'mbr_C']);
    expect(cipher.open).toHaveBeenCalledTimes(1);
    expect(audit.recordStandalone.mock.calls[0][0].resourceIds).toEqual(['mbr_A']);
    expect(JSON.parse(page.nextCursor)).toMatchObject({ s: '3' });
  });

  it('shows a member with an empty entry to a partner that needs no consent (envelope only)', async () => {
    const { sut, changes, store, policy } = setup();
    changes.page.mockResolvedValue([row('mbr_A', 2, ['email'], '1')]);
    store.findLiveMany.mockResolvedValue([stored('mbr_A')]);
    policy.visibleCategories.mockResolvedValue(new Map<string, DataCategory[]>([['mbr_A', []]]));
    const page = await sut.page({ ...actor, principal: { ...principal, requiresConsent: false } }, {});
    expect(page.changes.map((c) => c.memberId)).toEqual(['mbr_A']);
    expect(page.changes[0].member).not.toHaveProperty('contact');
  });

  it("refuses another partner's cursor before reading anything", async () => {
    const { sut, changes } = setup();
    const foreign = JSON.stringify({ k: 'changes', t: '1', s: '1', p: 'prt_B' });
    await expect(sut.page(actor, { cursor: foreign })).rejects.toBeInstanceOf(InvalidCursor);
    expect(changes.page).not.toHaveBeenCalled();
  });
});
