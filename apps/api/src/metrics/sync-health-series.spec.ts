import type { SyncHealthSnapshot } from '@app/sync';
import { syncHealthSamples } from './sync-health-series';

const SOURCE = 'fds_01JD3Q4Z5X6C7V8B9N0M1K2J3A';
const SOURCE_NEW = 'fds_01JD3Q4Z5X6C7V8B9N0M1K2J3B';
const SUB = 'sub_01JD3Q4Z5X6C7V8B9N0M1K2J3A';
const SUB_OFF = 'sub_01JD3Q4Z5X6C7V8B9N0M1K2J3B';

const health = {
  disabledReason: null,
  lastFailureAt: null,
  lagSeconds: 0,
  pendingDeliveries: 0,
  deadLetters: 0,
  consecutiveFailures: 0,
  failingSince: null,
};

const snapshot: SyncHealthSnapshot = {
  sources: [
    {
      id: SOURCE,
      status: 'failed',
      lastSuccessAt: new Date('2026-11-30T12:00:00.500Z'),
      lagSeconds: 42,
      openCases: 3,
    },
    { id: SOURCE_NEW, status: 'syncing', lastSuccessAt: null, lagSeconds: null, openCases: 0 },
  ],
  subscriptions: [
    {
      ...health,
      id: SUB,
      partnerId: 'prt_01JD3Q4Z5X6C7V8B9N0M1K2J3A',
      status: 'active',
      lastSuccessAt: '2026-11-30T11:00:00.000Z',
      lagSeconds: 17,
      pendingDeliveries: 2,
      deadLetters: 1,
    },
    {
      ...health,
      id: SUB_OFF,
      partnerId: 'prt_01JD3Q4Z5X6C7V8B9N0M1K2J3A',
      status: 'disabled',
      disabledReason: 'gone',
      lastSuccessAt: null,
    },
  ],
};

describe('syncHealthSamples', () => {
  const sut = syncHealthSamples(snapshot);

  it('reports one status per source as a state set: 1 for the current one, 0 for the rest', () => {
    expect(sut.msync_sync_source_status.filter((s) => s.labels.source_id === SOURCE)).toEqual([
      { labels: { source_id: SOURCE, status: 'syncing' }, value: 0 },
      { labels: { source_id: SOURCE, status: 'done' }, value: 0 },
      { labels: { source_id: SOURCE, status: 'failed' }, value: 1 },
      { labels: { source_id: SOURCE, status: 'paused' }, value: 0 },
    ]);
  });

  it('gives a source its lag, last success in Unix seconds and open cases, leaving out what never happened', () => {
    expect(sut.msync_sync_source_lag_seconds).toEqual([{ labels: { source_id: SOURCE }, value: 42 }]);
    expect(sut.msync_sync_source_last_success_timestamp_seconds).toEqual([
      { labels: { source_id: SOURCE }, value: Date.parse('2026-11-30T12:00:00.500Z') / 1000 },
    ]);
    expect(sut.msync_reconciliation_cases_open).toEqual([
      { labels: { source_id: SOURCE }, value: 3 },
      { labels: { source_id: SOURCE_NEW }, value: 0 },
    ]);
  });

  it('gives every subscription its active flag, dead letters, lag and pending deliveries', () => {
    expect(sut.msync_webhook_subscription_active).toEqual([
      { labels: { subscription_id: SUB }, value: 1 },
      { labels: { subscription_id: SUB_OFF }, value: 0 },
    ]);
    expect(sut.msync_delivery_dead_letters).toEqual([
      { labels: { subscription_id: SUB }, value: 1 },
      { labels: { subscription_id: SUB_OFF }, value: 0 },
    ]);
    expect(sut.msync_webhook_subscription_lag_seconds[0]).toEqual({
      labels: { subscription_id: SUB },
      value: 17,
    });
    expect(sut.msync_webhook_subscription_pending_deliveries[0]).toEqual({
      labels: { subscription_id: SUB },
      value: 2,
    });
    expect(sut.msync_webhook_subscription_last_success_timestamp_seconds).toEqual([
      { labels: { subscription_id: SUB }, value: Date.parse('2026-11-30T11:00:00.000Z') / 1000 },
    ]);
  });

  it('labels with opaque ids and enum values only', () => {
    const labelValues = Object.values(sut).flatMap((samples) =>
      samples.flatMap((s) => Object.values(s.labels)),
    );
    for (const value of labelValues)
      expect(value).toMatch(/^(fds|sub)_[0-9A-Z]{26}$|^(syncing|done|failed|paused)$/);
  });
});
