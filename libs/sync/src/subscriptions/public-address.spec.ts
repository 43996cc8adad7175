import { isLoopbackAddress, isPublicAddress } from './public-address';

describe('isPublicAddress', () => {
  it.each([
    ['127.0.0.1', 'IPv4 loopback'],
    ['127.255.255.254', 'the rest of 127/8'],
    ['::1', 'IPv6 loopback'],
    ['::ffff:127.0.0.1', 'loopback as IPv4-mapped IPv6'],
    ['10.0.0.1', 'private 10/8'],
    ['172.16.0.1', 'private 172.16/12'],
    ['172.31.255.255', 'the top of 172.16/12'],
    ['192.168.1.1', 'private 192.168/16'],
    ['::ffff:10.0.0.1', 'private as IPv4-mapped IPv6'],
    ['169.254.169.254', 'cloud metadata (link-local)'],
    ['169.254.0.1', 'IPv4 link-local'],
    ['fe80::1', 'IPv6 link-local'],
    ['fd00::1', 'IPv6 unique-local'],
    ['fd00:ec2::254', 'AWS metadata over IPv6 (unique-local)'],
    ['fc00::1', 'the other half of fc00::/7'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.100.100.200', 'Alibaba metadata (inside CGNAT)'],
    ['168.63.129.16', 'Azure wire server (public unicast, metadata)'],
    ['0.0.0.0', 'IPv4 unspecified'],
    ['0.1.2.3', 'the rest of 0/8'],
    ['::', 'IPv6 unspecified'],
    ['224.0.0.1', 'IPv4 multicast'],
    ['ff02::1', 'IPv6 multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved 240/4'],
    ['192.0.2.10', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['192.0.0.192', 'IETF protocol assignments (Oracle metadata)'],
    ['2001:db8::1', 'IPv6 documentation'],
    ['2002:7f00:1::1', '6to4 (embeds 127.0.0.1)'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['64:ff9b::7f00:1', 'NAT64 (embeds 127.0.0.1)'],
    ['::7f00:1', 'IPv4-compatible IPv6 (deprecated, outside 2000::/3)'],
    ['127.1', 'a short IPv4 form (not an address text to the socket layer)'],
    ['2130706433', 'an integer IPv4 form'],
    ['localhost', 'a name'],
    ['', 'nothing'],
  ])('refuses %s (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    ['93.184.216.34', 'public IPv4'],
    ['8.8.8.8', 'public IPv4'],
    ['172.32.0.1', 'just above 172.16/12'],
    ['100.128.0.1', 'just above CGNAT'],
    ['::ffff:93.184.216.34', 'public IPv4 as IPv4-mapped IPv6'],
    ['2606:4700:4700::1111', 'global unicast IPv6'],
    ['2a00:1450:4001:82b::200e', 'global unicast IPv6'],
  ])('accepts %s (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.0.0.53', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['169.254.169.254', false],
    ['0.0.0.0', false],
    ['93.184.216.34', false],
    ['localhost', false],
  ])('%s → %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});
