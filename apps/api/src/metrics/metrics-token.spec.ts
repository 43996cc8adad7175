import { bearerMatches, metricsTokenDigest } from './metrics-token';

const TOKEN = 'mt_4f9c2a7e1b3d5f60718293a4b5c6d7e8';

describe('metricsTokenDigest', () => {
  it('reads a token from a file as from the environment (one trailing line break dropped)', () => {
    expect(metricsTokenDigest(`${TOKEN}\n`)).toEqual(metricsTokenDigest(TOKEN));
    expect(metricsTokenDigest(`${TOKEN}\r\n`)).toEqual(metricsTokenDigest(TOKEN));
  });

  it('keeps only a digest, never the token', () => {
    expect(metricsTokenDigest(TOKEN).toString('latin1')).not.toContain(TOKEN);
    expect(metricsTokenDigest(TOKEN)).toHaveLength(32);
  });

  it.each([
    ['too short', 'x'.repeat(31)],
    ['with a space', `${TOKEN} x`],
    ['empty (an empty file)', '\n'],
  ])('refuses a token %s', (_what, token) => {
    expect(() => metricsTokenDigest(token)).toThrow(/metrics token/);
  });
});

describe('bearerMatches', () => {
  const digest = metricsTokenDigest(TOKEN);

  it.each([
    ['the token as a bearer', `Bearer ${TOKEN}`, true],
    ['the scheme in another case', `bearer ${TOKEN}`, true],
    ['no header', undefined, false],
    ['an empty header', '', false],
    ['the token without a scheme', TOKEN, false],
    ['another scheme', `Basic ${TOKEN}`, false],
    ['a wrong token', `Bearer ${TOKEN.slice(0, -1)}9`, false],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 10)}`, false],
    ['the token with more after it', `Bearer ${TOKEN}x`, false],
    ['two spaces', `Bearer  ${TOKEN}`, false],
  ])('answers for %s', (_what, header, matches) => {
    expect(bearerMatches(header, digest)).toBe(matches);
  });
});
