import { authenticator } from 'otplib';

const STEP_SECONDS = 30;

export function newTotpSecret(): string {
  return authenticator.generateSecret(20);
}

export function totpEnrolmentUri(email: string, secret: string): string {
  return authenticator.keyuri(email, 'member-sync', secret);
}

/** The current code at `atMs`; for tests and the bootstrap check. */
export function totpCode(secret: string, atMs: number): string {
  return authenticator.clone({ epoch: atMs }).generate(secret);
}

/**
 * The time step a code belongs to when it is valid at `atMs` (±1 step for clock drift), else
 * null. Callers refuse a step already used, so a code works once.
 */
export function totpStep(code: string, secret: string, atMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = authenticator.clone({ epoch: atMs, window: 1 }).checkDelta(code, secret);
  return delta === null ? null : Math.floor(atMs / 1000 / STEP_SECONDS) + delta;
}
