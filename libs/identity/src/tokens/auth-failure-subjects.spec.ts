import { authFailureSubjects } from './auth-failure-subjects';

describe('authFailureSubjects', () => {
  it.each([
    ['a wrong secret or an unknown client id', '203.0.113.7', undefined, ['ip:203.0.113.7']],
    [
      'a proven credential refused anyway',
      '198.51.100.10',
      'cli_TQZBJBJE6AS96QZPJQT6EMM5VE',
      ['ip:198.51.100.10', 'client:cli_TQZBJBJE6AS96QZPJQT6EMM5VE'],
    ],
    ['an IPv6 source', '2001:db8::1', undefined, ['ip:2001:db8::1']],
  ])('counts %s against %s', (_case, ip, provenClientId, subjects) => {
    expect(authFailureSubjects(ip, provenClientId)).toEqual(subjects);
  });
});
