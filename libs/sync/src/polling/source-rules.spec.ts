import { RequestValidationFailed } from '@app/common';
import {
  backfillPercent,
  chainsBySourceRef,
  checkFeedUrl,
  feedPageUrl,
  lagSeconds,
  newSourceId,
  parseFeedPage,
  SOURCE_ID,
  tallyPage,
} from './source-rules';

describe('checkFeedUrl', () => {
  it.each([
    ['a public https feed in production', 'https://feed.example.com/changes', 'production'],
    ['a loopback feed outside production (the sim)', 'https://127.0.0.1:8444/changes', 'development'],
    ['a loopback feed in tests', 'https://[::1]:8444/changes', 'test'],
  ] as const)('accepts %s', (_name, url, env) => {
    expect(checkFeedUrl(url, env)).toBe(url);
  });

  it.each([
    ['plain http', 'http://feed.example.com/changes', 'development', 'not_https'],
    ['a loopback feed in production', 'https://127.0.0.1:8444/changes', 'production', 'non_public_address'],
    [
      'a private address even outside production',
      'https://10.0.0.1/changes',
      'development',
      'non_public_address',
    ],
    ['the metadata address', 'https://169.254.169.254/latest', 'development', 'non_public_address'],
    ['credentials in the URL', 'https://u:p@feed.example.com/changes', 'development', 'credentials_in_url'],
  ] as const)('refuses %s, naming the field only', (_name, url, env, rule) => {
    let thrown: unknown;
    try {
      checkFeedUrl(url, env);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RequestValidationFailed);
    expect((thrown as RequestValidationFailed).violations).toEqual([
      { field: 'changeFeedUrl', rules: [rule] },
    ]);
    expect((thrown as Error).message).not.toContain(url);
  });
});

describe('feedPageUrl', () => {
  it('starts from the beginning without a cursor and keeps the feed query', () => {
    expect(feedPageUrl('https://h.example/changes?tenant=a', null, 200)).toBe(
      'https://h.example/changes?tenant=a&limit=200',
    );
  });

  it('asks for the page after the stored cursor', () => {
    expect(feedPageUrl('https://h.example/changes', 'ZjEuMTI', 50)).toBe(
      'https://h.example/changes?cursor=ZjEuMTI&limit=50',
    );
  });
});

describe('parseFeedPage', () => {
  const change = { sourceRef: 'src_1', eventId: 'evt_1', occurredAt: '2026-11-30T10:00:00Z', changes: {} };
  it('reads a DESIGN page', () => {
    expect(parseFeedPage({ data: [change], nextCursor: 'c1', hasMore: false })).toEqual({
      data: [change],
      nextCursor: 'c1',
      hasMore: false,
    });
  });

  it.each([
    ['not an object', 'nope'],
    ['no nextCursor', { data: [], hasMore: false }],
    ['an empty nextCursor', { data: [], nextCursor: '', hasMore: false }],
    ['no hasMore', { data: [], nextCursor: 'c' }],
    ['an item without eventId', { data: [{ ...change, eventId: 1 }], nextCursor: 'c', hasMore: false }],
    ['changes as an array', { data: [{ ...change, changes: [] }], nextCursor: 'c', hasMore: false }],
  ])('refuses a page with %s (never half-applied)', (_name, body) => {
    expect(parseFeedPage(body)).toBeNull();
  });
});

describe('lagSeconds', () => {
  it.each([
    ['null before the first successful poll', 1_000_000, null, null],
    ['whole seconds since the last poll that reached the end', 1_090_500, new Date(1_000_000), 90],
    ['never negative when clocks disagree', 1_000_000, new Date(1_005_000), 0],
  ] as const)('is %s', (_name, now, last, expected) => {
    expect(lagSeconds(now, last)).toBe(expected);
  });
});

describe('tallyPage', () => {
  it('counts applied, duplicate and conflict as processed and keeps the last rejected type', () => {
    expect(
      tallyPage([
        { occurredAt: '2026-11-30T10:00:00.000Z', outcome: 'applied' },
        { occurredAt: '2026-11-30T10:00:02.000Z', outcome: 'duplicate' },
        { occurredAt: '2026-11-30T10:00:01.000Z', outcome: 'conflict' },
        { occurredAt: 'not a date', outcome: 'rejected', rejectedType: 'validation-failed' },
      ]),
    ).toEqual({
      processed: 4,
      applied: 1,
      rejected: 1,
      rejectedType: 'validation-failed',
      newestOccurredAt: '2026-11-30T10:00:02.000Z',
    });
  });

  it('reports nothing for an empty page', () => {
    expect(tallyPage([])).toEqual({
      processed: 0,
      applied: 0,
      rejected: 0,
      rejectedType: null,
      newestOccurredAt: null,
    });
  });
});

describe('backfillPercent', () => {
  it.each([
    ['0 before any change is read', null, null, 1000, 0],
    ['the share of the time between the first change and the start', 0, 250, 1000, 25],
    ['at most 99 until the feed end is reached', 0, 5000, 1000, 99],
  ] as const)('is %s', (_name, first, newest, started, expected) => {
    expect(backfillPercent(first, newest, started)).toBe(expected);
  });
});

describe('chainsBySourceRef', () => {
  it("keeps each member's changes in feed order", () => {
    const items = [
      { sourceRef: 'a', n: 1 },
      { sourceRef: 'b', n: 2 },
      { sourceRef: 'a', n: 3 },
    ];
    expect(chainsBySourceRef(items)).toEqual([[items[0], items[2]], [items[1]]]);
  });
});

describe('newSourceId', () => {
  it('is opaque and not the sim sourceRef prefix', () => {
    expect(newSourceId()).toMatch(SOURCE_ID);
    expect(newSourceId()).not.toMatch(/^src_/);
  });
});
