/**
 * The counters a failed client authentication feeds (and so the subjects an `auth_failures` alert
 * may name). Always the source address. The client only when the caller proved it holds that
 * client's credential and was refused anyway (suspended partner, wrong certificate, replayed
 * assertion): a client id is public, so counting failures against whatever id a caller typed
 * would let anyone raise alerts naming any client.
 */
export function authFailureSubjects(ip: string, provenClientId?: string): string[] {
  return [`ip:${ip}`, ...(provenClientId ? [`client:${provenClientId}`] : [])];
}
