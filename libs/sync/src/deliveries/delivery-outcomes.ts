import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig, JobQueues, REDIS } from '@app/common';
import { DeliveryDeadLettered } from './delivery.errors';
import type { DeliveryOutcome } from './delivery-send.job';

/**
 * What one delivery attempt came to, as /metrics counts it: the attempt's own outcome, or how it
 * threw (`dead_lettered` after the last scheduled attempt, `error` for a failure on our side that
 * BullMQ retries).
 */
export const DELIVERY_OUTCOME_LABELS = [
  'delivered',
  'retry_scheduled',
  'dead_lettered',
  'disabled_gone',
  'disabled_failing',
  'parked',
  'skipped',
  'error',
] as const;
export type DeliveryOutcomeLabel = (typeof DELIVERY_OUTCOME_LABELS)[number];

/** The label of an attempt that returned. */
export function outcomeLabel(result: DeliveryOutcome): DeliveryOutcomeLabel {
  switch (result.outcome) {
    case 'delivered':
    case 'retry_scheduled':
    case 'disabled_failing':
    case 'parked':
    case 'skipped':
      return result.outcome;
    case 'gone':
      return 'disabled_gone';
  }
}

/** The label of an attempt that threw. */
export function failureLabel(error: unknown): DeliveryOutcomeLabel {
  return error instanceof DeliveryDeadLettered ? 'dead_lettered' : 'error';
}

/**
 * Install-wide totals of delivery attempt outcomes, kept in one Redis hash (the worker counts, any
 * API process reads them for /metrics). The key sits under the queues' hash tag, so on Redis
 * Cluster it lives in their slot. Counting never fails an attempt: a Redis error is logged by class.
 */
@Injectable()
export class DeliveryOutcomes {
  private readonly logger = new Logger('DeliveryOutcomes');
  private readonly key: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    config: AppConfig,
  ) {
    this.key = `${JobQueues.prefix(config)}:metrics:delivery-outcomes`;
  }

  async count(outcome: DeliveryOutcomeLabel): Promise<void> {
    try {
      await this.redis.hincrby(this.key, outcome, 1);
    } catch (error) {
      this.logger.warn(
        { outcome, error: error instanceof Error ? error.name : 'unknown' },
        'delivery outcome not counted',
      );
    }
  }

  /** Every outcome's total since the hash was created (0 for one never seen); fields not ours are ignored. */
  async totals(): Promise<Record<DeliveryOutcomeLabel, number>> {
    const stored = await this.redis.hgetall(this.key);
    return Object.fromEntries(
      DELIVERY_OUTCOME_LABELS.map((label) => [label, Number(stored[label] ?? 0) || 0]),
    ) as Record<DeliveryOutcomeLabel, number>;
  }
}
