import { Injectable, Logger } from '@nestjs/common';
import { JobHandler, type JobPayloads } from '@app/common';
import { IdempotencyService } from './idempotency.service';

/** Deletes Idempotency-Key records past their retention, and the data keys only they used. */
@Injectable()
export class IdempotencySweepJob {
  private readonly logger = new Logger('IdempotencySweep');

  constructor(private readonly idempotency: IdempotencyService) {}

  // No try/catch: a failed sweep throws, so BullMQ retries it.
  @JobHandler('idempotency.sweep')
  async run(_payload: JobPayloads['idempotency.sweep']): Promise<{ records: number; dataKeys: number }> {
    const swept = await this.idempotency.sweep();
    this.logger.log(swept, 'idempotency records swept');
    return swept;
  }
}
