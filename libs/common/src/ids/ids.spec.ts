import { isId, newId, randomBase32 } from './ids';

describe('ids', () => {
  it('makes prefixed 26-character Crockford base32 ids', () => {
    const sut = newId('member');
    expect(sut).toMatch(/^mbr_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(isId('member', sut)).toBe(true);
    expect(isId('partner', sut)).toBe(false);
  });

  it('does not repeat', () => {
    const seen = new Set(Array.from({ length: 5000 }, () => randomBase32()));
    expect(seen.size).toBe(5000);
  });

  it.each([undefined, 42, 'mbr_123', 'mbr_ILOU0000000000000000000000', 'mbr_0000000000000000000000000A0'])(
    'refuses %p as a member id',
    (value) => expect(isId('member', value)).toBe(false),
  );
});
