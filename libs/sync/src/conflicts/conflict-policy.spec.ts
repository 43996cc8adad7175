import { decideField, type FieldStamp, type IncomingStamp, isNewer, mergeByKey } from './conflict-policy';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 30, 10, minute));
const fromSim = (minute: number, priority = 1): IncomingStamp => ({
  side: 'membership_system',
  sourceId: 'prt_SIM',
  occurredAt: at(minute),
  priority,
});
const fromPlatform = (minute: number, priority = 1): IncomingStamp => ({
  side: 'b2b_platform',
  sourceId: 'adm_OFFICER',
  occurredAt: at(minute),
  priority,
});
const held = (stamp: IncomingStamp): FieldStamp & { priority: number } => ({ ...stamp });

describe('decideField', () => {
  it.each([
    // policy, owner, incoming, current, same value, decision
    [
      'coverage from its owner, never set',
      'source_of_truth',
      'membership_system',
      fromSim(5),
      undefined,
      false,
      'apply',
    ],
    [
      'coverage from its owner, newer',
      'source_of_truth',
      'membership_system',
      fromSim(5),
      held(fromSim(4)),
      false,
      'apply',
    ],
    [
      'coverage from its owner, older (reordered)',
      'source_of_truth',
      'membership_system',
      fromSim(3),
      held(fromSim(4)),
      false,
      'stale',
    ],
    [
      'coverage from the platform',
      'source_of_truth',
      'membership_system',
      fromPlatform(9),
      held(fromSim(4)),
      false,
      'not_owner',
    ],
    [
      'coverage from the platform, even when never set',
      'source_of_truth',
      'membership_system',
      fromPlatform(9),
      undefined,
      false,
      'not_owner',
    ],
    [
      'preferences from the membership system',
      'source_of_truth',
      'b2b_platform',
      fromSim(9),
      held(fromPlatform(4)),
      true,
      'not_owner',
    ],
    [
      'preferences from the platform',
      'source_of_truth',
      'b2b_platform',
      fromPlatform(9),
      held(fromPlatform(4)),
      false,
      'apply',
    ],
    [
      'contact, later wins across sides',
      'last_writer_wins',
      'membership_system',
      fromPlatform(6),
      held(fromSim(5)),
      false,
      'apply',
    ],
    [
      'contact, earlier loses across sides',
      'last_writer_wins',
      'membership_system',
      fromSim(4),
      held(fromPlatform(5)),
      false,
      'stale',
    ],
    [
      'contact, same value is no conflict',
      'last_writer_wins',
      'membership_system',
      fromSim(4),
      held(fromPlatform(5)),
      true,
      'apply',
    ],
    [
      'programs merge whatever the order',
      'merge',
      'membership_system',
      fromSim(1),
      held(fromPlatform(5)),
      false,
      'apply',
    ],
    [
      'name changed by both sides',
      'manual',
      'membership_system',
      fromSim(7),
      held(fromPlatform(5)),
      false,
      'manual',
    ],
    [
      'name changed by both sides, even if older',
      'manual',
      'membership_system',
      fromSim(2),
      held(fromPlatform(5)),
      false,
      'manual',
    ],
    [
      'name both sides agree on',
      'manual',
      'membership_system',
      fromSim(7),
      held(fromPlatform(5)),
      true,
      'apply',
    ],
    [
      'name changed again by the same side',
      'manual',
      'membership_system',
      fromSim(7),
      held(fromSim(5)),
      false,
      'apply',
    ],
    [
      'name, a reordered older change by the same side',
      'manual',
      'membership_system',
      fromSim(3),
      held(fromSim(5)),
      false,
      'stale',
    ],
    ['name never set', 'manual', 'membership_system', fromPlatform(3), undefined, false, 'apply'],
  ] as const)('%s → %s', (_name, policy, owner, incoming, current, same, decision) => {
    expect(decideField(policy, owner, incoming, current, same)).toEqual({ kind: decision });
  });
});

describe('isNewer', () => {
  it('breaks a tie on occurredAt by priority, then by sender id, whichever arrives first', () => {
    const a = { ...fromSim(5, 2), sourceId: 'prt_A' };
    const b = { ...fromPlatform(5, 1), sourceId: 'prt_B' };
    expect(isNewer(a, b)).toBe(true);
    expect(isNewer(b, a)).toBe(false);
    const c = { ...fromSim(5, 1), sourceId: 'prt_C' };
    expect(isNewer(c, b)).toBe(true);
    expect(isNewer(b, c)).toBe(false);
  });
});

describe('mergeByKey', () => {
  const program = (programCode: string, status: string) => ({ programCode, status });
  const key = (p: { programCode: string }) => p.programCode;

  it('keeps elements of either side and takes the newer side for shared ones', () => {
    const ours = [program('WALK', 'active'), program('SLEEP', 'active')];
    const theirs = [program('SLEEP', 'completed'), program('QUIT', 'active')];
    expect(mergeByKey(ours, theirs, key, true)).toEqual([
      program('WALK', 'active'),
      program('SLEEP', 'completed'),
      program('QUIT', 'active'),
    ]);
    expect(mergeByKey(ours, theirs, key, false)).toEqual([
      program('WALK', 'active'),
      program('SLEEP', 'active'),
      program('QUIT', 'active'),
    ]);
  });

  it('gives the same list when the same change is merged twice', () => {
    const ours = [program('WALK', 'active')];
    const theirs = [program('QUIT', 'active'), program('QUIT', 'withdrawn')];
    const once = mergeByKey(ours, theirs, key, true);
    expect(mergeByKey(once, theirs, key, true)).toEqual(once);
    expect(once).toHaveLength(2);
  });
});
