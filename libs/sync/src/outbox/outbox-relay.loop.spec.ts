import { RELAY_MAX_BACKOFF_MS, RELAY_POLL_MS, relayDelayMs } from './outbox-relay.loop';

describe('outbox relay pacing', () => {
  it.each([
    ['idle', 0, false, RELAY_POLL_MS],
    ['a backlog left', 0, true, 0],
    ['one failure', 1, false, 1000],
    ['one failure with a backlog', 1, true, 1000],
    ['two failures', 2, false, 2000],
    ['five failures', 5, false, 16000],
    ['many failures, capped', 12, false, RELAY_MAX_BACKOFF_MS],
  ])('waits as it should when %s', (_case, failures, backlog, expected) => {
    expect(relayDelayMs(failures, backlog)).toBe(expected);
  });
});
