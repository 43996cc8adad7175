import {
  admissionArguments,
  readAdmissionReply,
  type AdmissionStep,
  type CounterStep,
  type DenyListStep,
} from './admission-script';

const ip: CounterStep = {
  kind: 'counter',
  hitKey: '{p:rl:ip:1:ip}:hits',
  blockKey: '{p:rl:ip:1:ip}:blocked',
  limit: 100,
  ttlMs: 60_000,
  blockMs: 60_000,
};
const deny: DenyListStep = { kind: 'deny_list', key: 'p:revoked-jti:j1' };
const client: CounterStep = {
  ...ip,
  hitKey: '{p:rl:client:c:client}:hits',
  blockKey: '{p:rl:client:c:client}:blocked',
  limit: 5,
};
const steps: AdmissionStep[] = [ip, deny, client];

describe('admissionArguments', () => {
  it('lists keys in step order and each counter numbers after the step letters', () => {
    expect(admissionArguments(steps)).toEqual({
      keys: [ip.hitKey, ip.blockKey, deny.key, client.hitKey, client.blockKey],
      args: ['cdc', 60_000, 100, 60_000, 60_000, 5, 60_000],
    });
  });
});

describe('readAdmissionReply', () => {
  it.each([
    [
      'every step ran',
      [1, 59_001, 0, 0, 0, 3, 1_500, 0, 0],
      [
        { step: ip, record: { totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 } },
        { step: deny, denied: false },
        { step: client, record: { totalHits: 3, timeToExpire: 2, isBlocked: false, timeToBlockExpire: 0 } },
      ],
    ],
    [
      'the per-IP counter refused',
      [101, 30_000, 1, 60_000],
      [{ step: ip, record: { totalHits: 101, timeToExpire: 30, isBlocked: true, timeToBlockExpire: 60 } }],
    ],
    [
      'the token was on the deny list',
      [2, 60_000, 0, 0, 1],
      [
        { step: ip, record: { totalHits: 2, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 } },
        { step: deny, denied: true },
      ],
    ],
  ])('reads the outcomes when %s', (_case, reply, expected) => {
    expect(readAdmissionReply(steps, reply)).toEqual(expected);
  });

  it.each([
    ['not an array', 'OK'],
    ['not integers', ['1', 2, 0, 0]],
    ['a truncated counter', [1, 60_000, 0]],
    ['more than its steps', [1, 60_000, 0, 0, 0, 1, 60_000, 0, 0, 7]],
  ])('refuses a reply that is %s', (_case, reply) => {
    expect(() => readAdmissionReply(steps, reply)).toThrow(TypeError);
  });
});
