import { mock } from 'jest-mock-extended';
import { AlertsService, CheckpointsService } from '@app/audit';
import { ManualClock } from '@app/common';
import { DELIVERY_OUTCOME_LABELS, DeliveryOutcomes } from '@app/sync';
import { MetricsRegistry } from './metrics-registry';
import { OperationsMetrics, SCRAPE_PART_TIMEOUT_MS } from './operations.metrics';
import { QueueStates } from './queue-states';

const NOW = Date.parse('2026-11-30T12:00:00.000Z');

function setup() {
  const registry = new MetricsRegistry();
  const queues = mock<QueueStates>();
  const outcomes = mock<DeliveryOutcomes>();
  const checkpoints = mock<CheckpointsService>();
  const alerts = mock<AlertsService>();
  queues.all.mockResolvedValue([
    {
      queue: 'deliveries',
      counts: { waiting: 2, active: 0, delayed: 1, prioritized: 0, failed: 3 },
      paused: false,
      oldestWaitingAgeSeconds: 7,
    },
  ]);
  outcomes.totals.mockResolvedValue(
    Object.fromEntries(
      DELIVERY_OUTCOME_LABELS.map((label) => [label, label === 'delivered' ? 5 : 0]),
    ) as Awaited<ReturnType<DeliveryOutcomes['totals']>>,
  );
  checkpoints.chainStatus.mockResolvedValue({
    headSeq: 10,
    headAt: new Date(NOW - 3_000),
    checkpointSeq: 8,
    checkpointAt: new Date(NOW - 30_000),
  });
  alerts.counts.mockResolvedValue([{ type: 'baa_refusal', status: 'open', count: 1 }]);
  const sut = new OperationsMetrics(registry, queues, outcomes, checkpoints, alerts, new ManualClock(NOW));
  sut.onModuleInit();
  return { registry, queues, outcomes, checkpoints, alerts };
}

describe('OperationsMetrics', () => {
  afterEach(() => jest.useRealTimers());

  it('reads each part once per scrape, however many series use it', async () => {
    const { registry, queues, outcomes, checkpoints, alerts } = setup();
    const text = await registry.scrape();
    for (const read of [queues.all, outcomes.totals, checkpoints.chainStatus, alerts.counts])
      expect(read).toHaveBeenCalledTimes(1);
    expect(text).toContain('msync_queue_jobs{queue="deliveries",state="failed"} 3');
    expect(text).toContain('# TYPE msync_delivery_outcomes_total counter');
    expect(text).toContain('msync_delivery_outcomes_total{outcome="delivered"} 5');
    expect(text).toContain('msync_audit_checkpoint_age_seconds 30');
    expect(text).toContain('msync_alerts{type="baa_refusal",status="open"} 1');
    for (const up of ['msync_queues_up', 'msync_delivery_outcomes_up', 'msync_audit_up', 'msync_alerts_up'])
      expect(text).toContain(`${up} 1`);
    await registry.scrape();
    expect(queues.all).toHaveBeenCalledTimes(2);
  });

  it('leaves out a part whose store fails, says so in its up gauge, and serves the rest', async () => {
    const { registry, queues, alerts } = setup();
    queues.all.mockRejectedValue(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    alerts.counts.mockRejectedValue(new Error('select type from alert: connection terminated'));
    const text = await registry.scrape();
    expect(text).toContain('msync_queues_up 0');
    expect(text).toContain('msync_alerts_up 0');
    expect(text).not.toMatch(/^msync_queue_jobs\{/m);
    expect(text).not.toMatch(/^msync_alerts\{/m);
    expect(text).toContain('msync_audit_up 1');
    expect(text).toContain('msync_delivery_outcomes_total{outcome="delivered"} 5');
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    // The failure's text (addresses, statements) is never part of the answer.
    expect(text).not.toContain('ECONNREFUSED');
    expect(text).not.toContain('select');
  });

  it('gives up on a part that does not answer in time, without holding up the scrape', async () => {
    const { registry, checkpoints } = setup();
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    checkpoints.chainStatus.mockReturnValue(new Promise(() => undefined));
    const scraped = registry.scrape();
    await jest.advanceTimersByTimeAsync(SCRAPE_PART_TIMEOUT_MS);
    const text = await scraped;
    expect(text).toContain('msync_audit_up 0');
    expect(text).not.toMatch(/^msync_audit_chain_head_age_seconds /m);
    expect(text).toContain('msync_queues_up 1');
  });
});
