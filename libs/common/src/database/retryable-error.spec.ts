import { isRetryableTransactionError } from './retryable-error';

describe('isRetryableTransactionError', () => {
  it.each([
    [{ code: '40P01' }, true],
    [{ code: '40001' }, true],
    [{ code: '23505' }, false],
    [{ code: '57014' }, false],
    [new Error('deadlock detected'), false],
    [null, false],
    [undefined, false],
  ])('%o -> %s', (error, expected) => {
    expect(isRetryableTransactionError(error)).toBe(expected);
  });
});
