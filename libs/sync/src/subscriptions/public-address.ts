import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** IPv6 outside 2000::/3 (global unicast) is never a partner's server: refused wholesale. */
const GLOBAL_UNICAST_V6: Network = ipaddr.parseCIDR('2000::/3');

/**
 * Public unicast addresses that still answer as cloud infrastructure (Azure's wire server); the
 * other metadata endpoints (169.254.169.254, fd00:ec2::254, 100.100.100.200) sit in refused ranges.
 */
const METADATA_NETWORKS: Network[] = [ipaddr.parseCIDR('168.63.129.16/32')];

/**
 * Whether a partner's webhook may be sent to this address: public unicast only. IPv4 must be in
 * ipaddr.js's `unicast` range (so not loopback, private, link-local, CGNAT, multicast,
 * unspecified, broadcast or reserved); IPv6 must be global unicast and `unicast` (so not ::1, ::,
 * unique-local, link-local, 6to4, Teredo, NAT64 or documentation); an IPv4-mapped IPv6 address is
 * judged as the IPv4 address it reaches. Anything that is not an address text is refused.
 */
export function isPublicAddress(address: string): boolean {
  const parsed = strictAddress(address);
  if (!parsed) return false;
  if (parsed.kind() === 'ipv4') {
    const v4 = parsed as ipaddr.IPv4;
    return v4.range() === 'unicast' && !METADATA_NETWORKS.some((network) => v4.match(network));
  }
  const v6 = parsed as ipaddr.IPv6;
  return v6.range() === 'unicast' && v6.match(GLOBAL_UNICAST_V6);
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms: only a test client may be told to allow these. */
export function isLoopbackAddress(address: string): boolean {
  const parsed = strictAddress(address);
  return parsed !== null && parsed.range() === 'loopback';
}

/** The address a text names, with IPv4-mapped IPv6 unwrapped; null unless Node reads it as an IP. */
function strictAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  // node:net's check is strict (no "127.1", no octal): the same reading the socket layer uses.
  if (isIP(address) === 0) return null;
  const parsed = ipaddr.parse(address);
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address()
    : parsed;
}
