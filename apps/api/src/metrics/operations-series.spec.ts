import { oldestWaitingAgeSeconds, operationsSamples, type OperationsSnapshot } from './operations-series';

const NOW = Date.parse('2026-11-30T12:00:00.000Z');

const snapshot: OperationsSnapshot = {
  nowMs: NOW,
  queues: [
    {
      queue: 'deliveries',
      counts: { waiting: 3, active: 1, delayed: 2, prioritized: 0, failed: 4 },
      paused: false,
      oldestWaitingAgeSeconds: 12.5,
    },
    {
      queue: 'audit',
      counts: { waiting: 0, active: 0, delayed: 0, prioritized: 0, failed: 0 },
      paused: true,
      oldestWaitingAgeSeconds: 0,
    },
  ],
  deliveryOutcomes: {
    delivered: 7,
    retry_scheduled: 2,
    dead_lettered: 1,
    disabled_gone: 0,
    disabled_failing: 0,
    parked: 0,
    skipped: 3,
    error: 0,
  },
  audit: {
    headSeq: 120,
    headAt: new Date(NOW - 4_000),
    checkpointSeq: 100,
    checkpointAt: new Date(NOW - 65_000),
  },
  alerts: [
    { type: 'auth_failures', status: 'open', count: 2 },
    { type: 'auth_failures', status: 'acknowledged', count: 5 },
  ],
};

describe('operationsSamples', () => {
  const sut = operationsSamples(snapshot);

  it('gives each queue its count per state, paused flag and oldest waiting age', () => {
    expect(sut.msync_queue_jobs.filter((s) => s.labels.queue === 'deliveries')).toEqual([
      { labels: { queue: 'deliveries', state: 'waiting' }, value: 3 },
      { labels: { queue: 'deliveries', state: 'active' }, value: 1 },
      { labels: { queue: 'deliveries', state: 'delayed' }, value: 2 },
      { labels: { queue: 'deliveries', state: 'prioritized' }, value: 0 },
      { labels: { queue: 'deliveries', state: 'failed' }, value: 4 },
    ]);
    expect(sut.msync_queue_paused).toEqual([
      { labels: { queue: 'deliveries' }, value: 0 },
      { labels: { queue: 'audit' }, value: 1 },
    ]);
    expect(sut.msync_queue_oldest_waiting_age_seconds[0]).toEqual({
      labels: { queue: 'deliveries' },
      value: 12.5,
    });
  });

  it('reports every delivery outcome total, zeros included', () => {
    expect(sut.msync_delivery_outcomes_total).toHaveLength(8);
    expect(sut.msync_delivery_outcomes_total).toContainEqual({ labels: { outcome: 'delivered' }, value: 7 });
    expect(sut.msync_delivery_outcomes_total).toContainEqual({ labels: { outcome: 'error' }, value: 0 });
  });

  it('measures the chain head and checkpoint ages on the snapshot time, and the events not yet signed', () => {
    expect(sut.msync_audit_chain_head_age_seconds).toEqual([{ labels: {}, value: 4 }]);
    expect(sut.msync_audit_checkpoint_age_seconds).toEqual([{ labels: {}, value: 65 }]);
    expect(sut.msync_audit_events_since_checkpoint).toEqual([{ labels: {}, value: 20 }]);
  });

  it('leaves out the ages of what never happened, and counts every event when none is signed', () => {
    const fresh = operationsSamples({
      ...snapshot,
      audit: { headSeq: 3, headAt: new Date(NOW), checkpointSeq: null, checkpointAt: null },
    });
    expect(fresh.msync_audit_checkpoint_age_seconds).toEqual([]);
    expect(fresh.msync_audit_events_since_checkpoint).toEqual([{ labels: {}, value: 3 }]);
    const empty = operationsSamples({
      ...snapshot,
      audit: { headSeq: 0, headAt: null, checkpointSeq: null, checkpointAt: null },
    });
    expect(empty.msync_audit_chain_head_age_seconds).toEqual([]);
    expect(empty.msync_audit_events_since_checkpoint).toEqual([{ labels: {}, value: 0 }]);
  });

  it('labels alert counts with their type and status', () => {
    expect(sut.msync_alerts).toEqual([
      { labels: { type: 'auth_failures', status: 'open' }, value: 2 },
      { labels: { type: 'auth_failures', status: 'acknowledged' }, value: 5 },
    ]);
  });

  it('gives no samples for a part that could not be read', () => {
    const down = operationsSamples({
      nowMs: NOW,
      queues: null,
      deliveryOutcomes: null,
      audit: null,
      alerts: null,
    });
    for (const samples of Object.values(down)) expect(samples).toEqual([]);
  });

  it('labels with enum values only: never an id, a path or a number', () => {
    const values = Object.values(sut).flatMap((samples) => samples.flatMap((s) => Object.values(s.labels)));
    for (const value of values) expect(value).toMatch(/^[a-z_]+$/);
  });
});

describe('oldestWaitingAgeSeconds', () => {
  it.each([
    ['no job waits', undefined, 0],
    ['a job added 30 s ago', { timestamp: NOW - 30_000 }, 30],
    ['a job added 30 s ago with a 20 s delay', { timestamp: NOW - 30_000, delay: 20_000 }, 10],
    ['a job stamped ahead of this clock', { timestamp: NOW + 5_000 }, 0],
  ])('answers for %s', (_what, job, age) => {
    expect(oldestWaitingAgeSeconds(job, NOW)).toBe(age);
  });
});
