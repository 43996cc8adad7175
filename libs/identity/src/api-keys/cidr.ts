import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Dotted-quad IPv4 or IPv6 only: ipaddr.js would otherwise read "10.0.0" as 10.0.0.0. */
function strictAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (text.includes(':')) return ipaddr.IPv6.isValid(text) ? ipaddr.IPv6.parse(text) : null;
  return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : null;
}

/** Parses "10.0.0.0/8", "2001:db8::/32" or a single address; null when malformed. */
export function parseCidr(value: string): Range | null {
  const [addressText, lengthText, extra] = value.split('/');
  const address = strictAddress(addressText);
  if (!address || extra !== undefined) return null;
  const max = address.kind() === 'ipv4' ? 32 : 128;
  if (lengthText === undefined) return [address, max];
  if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > max) return null;
  return [address, Number(lengthText)];
}

/** True when `ip` falls inside one of `cidrs`. IPv4-mapped IPv6 addresses compare as IPv4. */
export function ipAllowed(ip: string, cidrs: readonly string[]): boolean {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip);
  } catch {
    return false;
  }
  return cidrs.some((cidr) => {
    const range = parseCidr(cidr);
    return range !== null && range[0].kind() === address.kind() && address.match(range);
  });
}
