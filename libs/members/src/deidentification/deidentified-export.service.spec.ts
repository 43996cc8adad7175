import { mock } from 'jest-mock-extended';
import { AuditService } from '@app/audit';
import { type Actor, ManualClock, ResourceNotFound } from '@app/common';
import { DataKeysService } from '@app/crypto';
import { OrganizationsService } from '@app/identity';
import { MemberCipher } from '../member-cipher';
import { IntegrityViolation } from '../member.errors';
import type { StoredMember } from '../member.store';
import { DeidentifiedExportService } from './deidentified-export.service';
import { MemberSnapshot, MemberSnapshotStore } from './member-snapshot.store';

const actor: Actor = {
  principal: {
    kind: 'admin',
    id: 'adm_A',
    role: 'compliance_officer',
    scopes: new Set(['admin:exports:deidentified']),
    mfa: true,
    source: 'local',
  },
  request: {
    ip: '203.0.113.5',
    method: 'GET',
    route: '/api/v1/admin/exports/deidentified',
    requestId: 'r-1',
  },
};

const stored = (id: string): StoredMember => ({
  id,
  organizationId: 'org_A',
  version: 1,
  status: 'active',
  updatedAt: new Date('2026-11-01T00:00:00Z'),
  keyVersion: 1,
  wrappedKey: null,
  ciphertexts: {},
});

async function read(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe('DeidentifiedExportService', () => {
  const snapshots = mock<MemberSnapshotStore>();
  const snapshot = mock<MemberSnapshot>();
  const cipher = mock<MemberCipher>();
  const dataKeys = mock<DataKeysService>();
  const organizations = mock<OrganizationsService>();
  const audit = mock<AuditService>();
  const sut = new DeidentifiedExportService(
    snapshots,
    cipher,
    dataKeys,
    organizations,
    audit,
    new ManualClock(new Date('2026-11-30T00:00:00Z')),
  );

  beforeEach(() => {
    jest.resetAllMocks();
    snapshots.open.mockResolvedValue(snapshot);
    snapshot.count.mockResolvedValue(2);
    snapshot.close.mockResolvedValue();
    organizations.existing.mockImplementation((ids) => Promise.resolve(ids.filter((id) => id === 'org_A')));
  });

  it('audits once with the count before streaming, leaves out a member failing its integrity check, and ends the snapshot', async () => {
    snapshot.pageAfter.mockResolvedValueOnce([stored('mbr_1'), stored('mbr_2')]).mockResolvedValueOnce([]);
    cipher.open.mockImplementation((m) =>
      m.id === 'mbr_1'
        ? Promise.resolve({ planCode: 'PPO-GOLD', ssn: '900-12-3456' })
        : Promise.reject(new IntegrityViolation()),
    );
    const stream = await sut.open(actor, { organizationId: 'org_A' });
    expect(audit.recordStandalone).toHaveBeenCalledTimes(1);
    expect(audit.recordStandalone).toHaveBeenCalledWith(
      expect.objectContaining({
        action: 'member.export_deidentified',
        reason: 'members:2',
        resourceIds: ['org_A'],
      }),
    );
    const lines = (await read(stream)).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        pseudonym: expect.stringMatching(/^anon_/),
        organizationId: 'org_A',
        status: 'active',
        coverage: { planCode: 'PPO-GOLD' },
      },
    ]);
    expect(snapshot.pageAfter).toHaveBeenNthCalledWith(2, 'mbr_2', 500);
    expect(dataKeys.forget.mock.calls).toEqual([['mbr_1'], ['mbr_2']]);
    expect(snapshot.close).toHaveBeenCalled();
  });

  it('answers an unknown organization 404 without opening a snapshot', async () => {
    await expect(sut.open(actor, { organizationId: 'org_NONE' })).rejects.toBeInstanceOf(ResourceNotFound);
    expect(snapshots.open).not.toHaveBeenCalled();
  });

  it('gives nothing and ends the snapshot when the read cannot be audited', async () => {
    audit.recordStandalone.mockRejectedValue(new Error('audit down'));
    await expect(sut.open(actor, {})).rejects.toThrow('audit down');
    expect(snapshot.close).toHaveBeenCalled();
    expect(snapshot.pageAfter).not.toHaveBeenCalled();
  });

  it('ends the snapshot of a stream destroyed before its first read', async () => {
    const stream = await sut.open(actor, {});
    stream.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(snapshot.close).toHaveBeenCalled();
    expect(snapshot.pageAfter).not.toHaveBeenCalled();
  });
});
