import { isLoopbackAddress, isPublicAddress } from './public-address';
import { checkSubscriptionUrl, resolvedAddressesRefusal } from './subscription-url';

describe('checkSubscriptionUrl', () => {
  it.each([
    ['http://hooks.partner.example/members', 'not_https'],
    ['ftp://hooks.partner.example/members', 'not_https'],
    ['HTTP://hooks.partner.example/', 'not_https'],
    ['https://user:pass@hooks.partner.example/members', 'credentials_in_url'],
    ['https://token@hooks.partner.example/members', 'credentials_in_url'],
    ['https://hooks.partner.example/members#frag', 'fragment_in_url'],
    ['https://hooks.partner.example/members#', 'fragment_in_url'],
    ['not a url', 'malformed'],
    ['https://', 'malformed'],
    [`https://hooks.partner.example/${'a'.repeat(2048)}`, 'too_long'],
    ['https://127.0.0.1/hooks', 'non_public_address'],
    ['https://127.1/hooks', 'non_public_address'],
    ['https://0x7f.1/hooks', 'non_public_address'],
    ['https://2130706433/hooks', 'non_public_address'],
    ['https://[::1]/hooks', 'non_public_address'],
    ['https://[::ffff:127.0.0.1]/hooks', 'non_public_address'],
    ['https://169.254.169.254/latest/meta-data', 'non_public_address'],
    ['https://10.0.0.1/hooks', 'non_public_address'],
    ['https://192.168.1.1/hooks', 'non_public_address'],
    ['https://100.64.0.1/hooks', 'non_public_address'],
    ['https://[fd00::1]/hooks', 'non_public_address'],
    ['https://0.0.0.0/hooks', 'non_public_address'],
    ['https://0/hooks', 'non_public_address'],
  ])('refuses %s as %s', (url, reason) => {
    expect(checkSubscriptionUrl(url)).toEqual({ ok: false, reason });
  });

  it('accepts a public IP literal as final (nothing to resolve)', () => {
    expect(checkSubscriptionUrl('https://93.184.216.34:8443/hooks?x=1')).toEqual({
      ok: true,
      href: 'https://93.184.216.34:8443/hooks?x=1',
      hostname: null,
    });
  });

  it('accepts a name and hands it back to be resolved, lower-cased as it will be requested', () => {
    expect(checkSubscriptionUrl('https://Hooks.Partner.example/Members')).toEqual({
      ok: true,
      href: 'https://hooks.partner.example/Members',
      hostname: 'hooks.partner.example',
    });
  });

  it('lets a widened policy (tests only) accept a loopback literal, and nothing else it did not before', () => {
    const policy = (a: string) => isPublicAddress(a) || isLoopbackAddress(a);
    expect(checkSubscriptionUrl('https://127.0.0.1:9443/hooks', policy)).toMatchObject({ ok: true });
    expect(checkSubscriptionUrl('https://10.0.0.1/hooks', policy)).toEqual({
      ok: false,
      reason: 'non_public_address',
    });
  });
});

describe('resolvedAddressesRefusal', () => {
  it.each([
    [['93.184.216.34'], null],
    [['93.184.216.34', '2606:4700:4700::1111'], null],
    [[], 'unresolvable'],
    [['127.0.0.1'], 'non_public_address'],
    [['::1', '127.0.0.1'], 'non_public_address'],
    // One bad address among good ones is enough: the socket layer may pick any of them.
    [['93.184.216.34', '10.0.0.1'], 'non_public_address'],
    [['93.184.216.34', '169.254.169.254'], 'non_public_address'],
  ])('%j → %s', (addresses, expected) => {
    expect(resolvedAddressesRefusal(addresses)).toBe(expected);
  });
});
