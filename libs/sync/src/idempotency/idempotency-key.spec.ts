import { isValidIdempotencyKey } from './idempotency-key';

describe('isValidIdempotencyKey', () => {
  it.each([
    ['a UUID', '0f8fad5b-d9cb-469f-a165-70867728950e', true],
    ['one character', 'k', true],
    ['255 characters', 'k'.repeat(255), true],
    ['printable punctuation and spaces', 'order 42/retry:#1~', true],
    ['a Standard Webhooks id', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', true],
    ['an empty string', '', false],
    ['256 characters', 'k'.repeat(256), false],
    ['a tab', 'a\tb', false],
    ['a latin-1 letter', 'clé', false],
    ['a control character', 'a\u0001b', false],
    ['a DEL character', 'a\u007fb', false],
  ])('%s → %s', (_case, key, valid) => {
    expect(isValidIdempotencyKey(key)).toBe(valid);
  });
});
