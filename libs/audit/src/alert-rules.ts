import ipaddr from 'ipaddr.js';

export interface BusinessHours {
  firstDay: number;
  lastDay: number;
  startHour: number;
  endHour: number;
}

/** Whether `at` falls inside business hours (UTC): days firstDay..lastDay (0 = Sunday), hours [start, end). */
export function withinBusinessHours(at: Date, hours: BusinessHours): boolean {
  const day = at.getUTCDay();
  const hour = at.getUTCHours();
  return day >= hours.firstDay && day <= hours.lastDay && hour >= hours.startHour && hour < hours.endHour;
}

/** The network a source address belongs to for "usual location" purposes: its /24 (IPv4) or /48 (IPv6). */
export function sourceNetwork(ip: string): string {
  try {
    const address = ipaddr.process(ip);
    if (address.kind() === 'ipv4') return `${address.toByteArray().slice(0, 3).join('.')}.0/24`;
    const parts = (address as ipaddr.IPv6).parts.slice(0, 3).map((p) => p.toString(16));
    return `${parts.join(':')}::/48`;
  } catch {
    return 'unparsable';
  }
}
