import { QUEUE_NAMES, type AppConfig, type QueueName } from '@app/common';
import { queueConcurrency } from './queue-concurrency';

const deliveries: AppConfig['deliveries'] = {
  retryScheduleSeconds: [0, 5],
  disableAfterFailingSeconds: 3600,
  concurrency: 12,
  allowLoopback: false,
};

describe('queueConcurrency', () => {
  it('runs deliveries at the configured concurrency', () => {
    expect(queueConcurrency('deliveries', deliveries)).toBe(12);
  });

  it.each(QUEUE_NAMES.filter((queue) => queue !== 'deliveries'))('runs %s one job at a time', (queue) => {
    expect(queueConcurrency(queue, deliveries)).toBe(1);
  });

  it('keeps polling at one job even with a high delivery concurrency', () => {
    const polling: QueueName = 'polling';
    expect(queueConcurrency(polling, { ...deliveries, concurrency: 200 })).toBe(1);
  });
});
