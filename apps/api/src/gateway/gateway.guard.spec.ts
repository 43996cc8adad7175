import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { mock } from 'jest-mock-extended';
import type { PartnerPrincipal } from '@app/common';
import { AccessGuard, type PreparedAccess } from '@app/identity';
import type { AdmissionStep, CounterStep, StepOutcome } from './admission-script';
import { GatewayGuard } from './gateway.guard';
import { RateLimitsService } from './rate-limits.service';

const principal: PartnerPrincipal = {
  kind: 'partner_client',
  id: 'cli_A',
  partnerId: 'prt_A',
  partnerType: 'benefits_admin',
  vendorId: 'vnd_A',
  organizationIds: ['org_A'],
  categories: ['identity'],
  purpose: 'operations',
  requiresConsent: false,
  scopes: new Set(['members:read']),
};
const denyList: PreparedAccess['denyList'] = [
  { key: 'p:revoked-jti:j1', reason: 'token_revoked' },
  { key: 'p:denied:client:cli_A', reason: 'client_revoked' },
  { key: 'p:denied:partner:prt_A', reason: 'partner_suspended' },
];
const counter = (name: string): CounterStep => ({
  kind: 'counter',
  hitKey: `{p:rl:${name}}:hits`,
  blockKey: `{p:rl:${name}}:blocked`,
  limit: 10,
  ttlMs: 60_000,
  blockMs: 60_000,
});

/** What the admission script answers when the keys in `existing` exist: it stops at the first. */
function scriptAnswer(steps: readonly AdmissionStep[], existing: ReadonlySet<string>): StepOutcome[] {
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    if (step.kind === 'counter') {
      outcomes.push({
        step,
        record: { totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 },
      });
    } else {
      outcomes.push({ step, denied: existing.has(step.key) });
      if (existing.has(step.key)) break;
    }
  }
  return outcomes;
}

describe('GatewayGuard with a cached partner token', () => {
  const cases: Array<[string, string[], string | null]> = [
    ['admits when no deny-list entry exists', [], null],
    [
      'refuses a revoked token as such, whatever else holds',
      [denyList[0].key, denyList[2].key],
      'token_revoked',
    ],
    ['refuses a revoked client', [denyList[1].key], 'client_revoked'],
    ['refuses a suspended partner', [denyList[2].key], 'partner_suspended'],
  ];

  it.each(cases)('%s, in one admission call', async (_name, existing, expected) => {
    const access = mock<AccessGuard>();
    const limits = mock<RateLimitsService>();
    const reflector = mock<Reflector>();
    const order: string[] = [];
    access.prepareCached.mockResolvedValue({ denyList, admissible: true, principal });
    access.settle.mockImplementation((_context, _prepared, denied) => {
      order.push(`settle:${denied}`);
      return denied ? Promise.reject(new Error(denied)) : Promise.resolve();
    });
    limits.sourceCounter.mockReturnValue(counter('ip'));
    limits.counter.mockReturnValue(counter('client'));
    limits.admit.mockImplementation((steps) => Promise.resolve(scriptAnswer(steps, new Set(existing))));
    const reply = { headers: jest.fn(() => order.push('headers')) };
    const context = mock<ExecutionContext>();
    context.switchToHttp.mockReturnValue({
      getRequest: () => ({ ip: '203.0.113.5' }),
      getResponse: () => reply,
      getNext: () => undefined,
    } as never);
    const sut = new GatewayGuard(reflector, access, limits);

    const outcome = sut.canActivate(context);

    if (expected) await expect(outcome).rejects.toThrow(expected);
    else await expect(outcome).resolves.toBe(true);
    expect(limits.admit).toHaveBeenCalledTimes(1);
    expect(limits.admit.mock.calls[0][0].filter((s) => s.kind === 'deny_list')).toEqual(
      denyList.map((entry) => ({ kind: 'deny_list', key: entry.key })),
    );
    expect(access.settle).toHaveBeenCalledTimes(1);
    expect(access.settle.mock.calls[0][2]).toBe(expected);
    // The per-IP headers come first; the client's only after the deny list was settled, and never on a refusal.
    expect(order).toEqual(
      expected ? ['headers', `settle:${expected}`] : ['headers', 'settle:null', 'headers'],
    );
  });
});
