import { newTotpSecret, totpCode, totpEnrolmentUri, totpStep } from './totp';

describe('TOTP', () => {
  const secret = newTotpSecret();
  const at = Date.UTC(2026, 10, 23, 12, 0, 0);

  it('accepts the current code and names its step', () => {
    expect(totpStep(totpCode(secret, at), secret, at)).toBe(Math.floor(at / 30000));
  });

  it('tolerates one step of drift and no more', () => {
    expect(totpStep(totpCode(secret, at - 30_000), secret, at)).not.toBeNull();
    expect(totpStep(totpCode(secret, at - 90_000), secret, at)).toBeNull();
  });

  it.each(['', '12345', 'abcdef', '1234567'])('refuses %p', (code) => {
    expect(totpStep(code, secret, at)).toBeNull();
  });

  it('refuses a code made for another secret', () => {
    expect(totpStep(totpCode(newTotpSecret(), at), secret, at)).toBeNull();
  });

  it('builds an otpauth enrolment URI', () => {
    expect(totpEnrolmentUri('officer@example.test', secret)).toMatch(
      /^otpauth:\/\/totp\/member-sync:officer%40example\.test\?secret=/,
    );
  });
});
