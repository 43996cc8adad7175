import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { stillWithinLifetime, VerifiedTokenCache, verifiedTokenKey } from './verified-token-cache';

const TOLERANCE = 60;
const entry = (exp: number, nbf?: number) => ({ claims: { sub: 'cli_A' }, kid: 'kid-1', exp, nbf });

describe('stillWithinLifetime', () => {
  it.each([
    { case: 'well before exp', now: 1_000, exp: 2_000, nbf: undefined, usable: true },
    { case: 'at exp, inside the tolerance', now: 2_000, exp: 2_000, nbf: undefined, usable: true },
    { case: 'one second before exp + tolerance', now: 2_059, exp: 2_000, nbf: undefined, usable: true },
    { case: 'exactly at exp + tolerance', now: 2_060, exp: 2_000, nbf: undefined, usable: false },
    { case: 'past exp + tolerance', now: 9_999, exp: 2_000, nbf: undefined, usable: false },
    { case: 'nbf within the tolerance ahead', now: 1_000, exp: 2_000, nbf: 1_060, usable: true },
    { case: 'nbf beyond the tolerance ahead', now: 1_000, exp: 2_000, nbf: 1_061, usable: false },
  ])('$case → usable: $usable', ({ now, exp, nbf, usable }) => {
    expect(stillWithinLifetime({ exp, nbf }, now, TOLERANCE)).toBe(usable);
  });

  // The rule must refuse exactly when jsonwebtoken (the uncached path) refuses.
  it('agrees with jsonwebtoken.verify at every second around exp and nbf', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const exp = 1_800_000_000;
    const nbf = exp - 900;
    const token = jwt.sign({ sub: 'cli_A', exp, nbf }, privateKey, { algorithm: 'ES256' });
    const checkpoints = [
      nbf - 62,
      nbf - 61,
      nbf - 60,
      nbf - 59,
      exp - 1,
      exp,
      exp + 58,
      exp + 59,
      exp + 60,
      exp + 61,
    ];
    for (const now of checkpoints) {
      let verifies = true;
      try {
        jwt.verify(token, publicKey, {
          algorithms: ['ES256'],
          clockTolerance: TOLERANCE,
          clockTimestamp: now,
        });
      } catch {
        verifies = false;
      }
      expect({ now, usable: stillWithinLifetime({ exp, nbf }, now, TOLERANCE) }).toEqual({
        now,
        usable: verifies,
      });
    }
  });
});

describe('VerifiedTokenCache', () => {
  it('returns a stored entry while it is within its lifetime', () => {
    const sut = new VerifiedTokenCache<{ sub: string }>(10, TOLERANCE);
    sut.set('a', entry(2_000));
    expect(sut.get('a', 1_000)?.claims).toEqual({ sub: 'cli_A' });
  });

  it('never returns an entry past exp + tolerance, and forgets it', () => {
    const sut = new VerifiedTokenCache<{ sub: string }>(10, TOLERANCE);
    sut.set('a', entry(2_000));
    expect(sut.get('a', 2_060)).toBeUndefined();
    expect(sut.size).toBe(0);
    // Moving the clock back does not revive it: the next use verifies the token again.
    expect(sut.get('a', 1_000)).toBeUndefined();
  });

  it('does not grow beyond its bound', () => {
    const sut = new VerifiedTokenCache<{ sub: string }>(3, TOLERANCE);
    for (let n = 0; n < 50; n++) sut.set(`k${n}`, entry(2_000));
    expect(sut.size).toBe(3);
    expect(sut.get('k49', 1_000)).toBeDefined();
    expect(sut.get('k46', 1_000)).toBeUndefined();
  });

  it('evicts the least recently used entry, not the oldest inserted', () => {
    const sut = new VerifiedTokenCache<{ sub: string }>(2, TOLERANCE);
    sut.set('first', entry(2_000));
    sut.set('second', entry(2_000));
    sut.get('first', 1_000);
    sut.set('third', entry(2_000));
    expect(sut.get('second', 1_000)).toBeUndefined();
    expect(sut.get('first', 1_000)).toBeDefined();
    expect(sut.get('third', 1_000)).toBeDefined();
  });

  it('forgets an entry on delete', () => {
    const sut = new VerifiedTokenCache<{ sub: string }>(10, TOLERANCE);
    sut.set('a', entry(2_000));
    sut.delete('a');
    expect(sut.get('a', 1_000)).toBeUndefined();
  });
});

describe('verifiedTokenKey', () => {
  it('differs when one character of the token differs', () => {
    expect(verifiedTokenKey('header.payload.signatureA')).not.toBe(
      verifiedTokenKey('header.payload.signatureB'),
    );
  });

  it('does not contain the token', () => {
    expect(verifiedTokenKey('header.payload.signature')).not.toContain('payload');
  });
});
