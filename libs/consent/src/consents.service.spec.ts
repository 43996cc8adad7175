import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { mock } from 'jest-mock-extended';
import { AuditService } from '@app/audit';
import { ManualClock, type Actor } from '@app/common';
import { SignedCursors } from '@app/crypto';
import { PartnersService } from '@app/identity';
import { MemberReader } from '@app/members';
import { ConsentObservers } from './consent-observers';
import { Consent } from './consent.entity';
import { ConsentNotFound } from './consent.errors';
import type { ConsentRepository } from './consent.repository';
import { ConsentsService } from './consents.service';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const officer: Actor = {
  principal: {
    kind: 'admin',
    id: 'adm_OFFICER',
    role: 'compliance_officer',
    scopes: new Set(),
    mfa: true,
    source: 'local',
  },
  request: {
    ip: '127.0.0.1',
    method: 'POST',
    route: '/api/v1/admin/consents/:consentId/revoke',
    requestId: randomUUID(),
  },
};

function stored(overrides: Partial<Consent> = {}): Consent {
  return Object.assign(new Consent(), {
    id: 'cns_A',
    memberId: 'mbr_A',
    organizationId: 'org_A',
    partnerId: 'prt_A',
    purpose: 'marketing',
    categories: ['contact'],
    validFrom: new Date('2026-11-01T00:00:00.000Z'),
    validUntil: null,
    status: 'active',
    evidenceSha256: 'a'.repeat(64),
    createdAt: new Date('2026-11-01T00:00:00.000Z'),
    createdBy: 'adm_OTHER',
    revokedAt: null,
    revokedBy: null,
    revocationReason: null,
    ...overrides,
  });
}

function setup(consent: Consent | null) {
  const em = mock<EntityManager>();
  const tx = mock<EntityManager>();
  const repository = mock<ConsentRepository>();
  const observers = mock<ConsentObservers>();
  const audit = mock<AuditService>();
  em.fork.mockReturnValue(em);
  em.transactional.mockImplementation((work) => work(tx) as Promise<unknown>);
  tx.getRepository.mockReturnValue(repository as never);
  repository.lockById.mockResolvedValue(consent);
  const sut = new ConsentsService(
    em,
    mock<MemberReader>(),
    mock<PartnersService>(),
    observers,
    audit,
    mock<SignedCursors>(),
    new ManualClock(NOW),
  );
  return { sut, tx, observers, audit };
}

describe('ConsentsService.revoke', () => {
  it('records who and why, audits, and tells observers, all on the revocation transaction', async () => {
    const consent = stored();
    const { sut, tx, observers, audit } = setup(consent);
    const answer = await sut.revoke(officer, 'cns_A', 'TICKET-1 member withdrew');
    expect(answer).toEqual({ id: 'cns_A', status: 'revoked', revokedAt: NOW.toISOString() });
    expect(consent).toMatchObject({
      status: 'revoked',
      revokedBy: 'adm_OFFICER',
      revocationReason: 'TICKET-1 member withdrew',
    });
    expect(tx.flush).toHaveBeenCalled();
    expect(audit.record).toHaveBeenCalledWith(
      tx,
      expect.objectContaining({
        action: 'consent.revoke',
        reason: 'TICKET-1 member withdrew',
        resourceIds: ['cns_A', 'mbr_A', 'prt_A'],
      }),
    );
    expect(observers.revoked).toHaveBeenCalledWith(tx, {
      consentId: 'cns_A',
      memberId: 'mbr_A',
      organizationId: 'org_A',
      partnerId: 'prt_A',
      purpose: 'marketing',
      categories: ['contact'],
      revokedAt: NOW,
    });
  });

  it('answers a repeated revocation with the first one, auditing and notifying nothing', async () => {
    const first = new Date('2026-11-20T00:00:00.000Z');
    const { sut, observers, audit } = setup(
      stored({ status: 'revoked', revokedAt: first, revokedBy: 'adm_X' }),
    );
    expect(await sut.revoke(officer, 'cns_A', 'again')).toEqual({
      id: 'cns_A',
      status: 'revoked',
      revokedAt: first.toISOString(),
    });
    expect(audit.record).not.toHaveBeenCalled();
    expect(observers.revoked).not.toHaveBeenCalled();
  });

  it('answers an unknown consent with ConsentNotFound', async () => {
    const { sut } = setup(null);
    await expect(sut.revoke(officer, 'cns_B', 'why')).rejects.toBeInstanceOf(ConsentNotFound);
  });
});
