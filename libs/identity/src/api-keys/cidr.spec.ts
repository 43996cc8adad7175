import { ipAllowed, parseCidr } from './cidr';

describe('ipAllowed', () => {
  it.each([
    ['10.1.2.3', ['10.0.0.0/8'], true],
    ['11.1.2.3', ['10.0.0.0/8'], false],
    ['::ffff:10.1.2.3', ['10.0.0.0/8'], true],
    ['203.0.113.7', ['203.0.113.7'], true],
    ['203.0.113.8', ['203.0.113.7'], false],
    ['2001:db8::1', ['2001:db8::/32'], true],
    ['2001:db9::1', ['2001:db8::/32'], false],
    ['10.1.2.3', ['2001:db8::/32'], false],
    ['not-an-ip', ['0.0.0.0/0'], false],
  ])('%s in %j → %s', (ip, cidrs, expected) => {
    expect(ipAllowed(ip, cidrs)).toBe(expected);
  });

  it('rejects malformed ranges', () => {
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseCidr('10.0.0')).toBeNull();
    expect(parseCidr('10.0.0.0/8')).not.toBeNull();
  });
});
