import { responseOutcome } from './response-outcome';

describe('responseOutcome', () => {
  it.each([
    [200, 'ok', 'store'],
    [201, 'created', 'store'],
    [202, 'accepted', 'store'],
    [204, 'no content (a delete)', 'store'],
    [303, 'see other', 'store'],
    [404, 'not found, found while executing', 'store'],
    [409, 'conflict with the current state', 'store'],
    [410, 'gone', 'store'],
    [412, 'If-Match did not match', 'store'],
    [400, 'refused by validation', 'release'],
    [401, 'not authenticated', 'release'],
    [403, 'not allowed (may be allowed later)', 'release'],
    [405, 'method not allowed', 'release'],
    [408, 'request timeout', 'release'],
    [413, 'body too large', 'release'],
    [414, 'URI too long', 'release'],
    [415, 'unsupported media type', 'release'],
    [422, 'refused by a validation rule', 'release'],
    [428, 'If-Match missing', 'release'],
    [429, 'rate limited', 'release'],
    [431, 'headers too large', 'release'],
    [500, 'internal error (rolled back)', 'release'],
    [503, 'unavailable', 'release'],
    [418, 'a status no route answers', 'release'],
  ])('%i (%s) → %s', (status, _why, outcome) => {
    expect(responseOutcome(status)).toBe(outcome);
  });
});
