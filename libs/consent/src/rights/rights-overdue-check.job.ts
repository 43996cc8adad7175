import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AlertsService } from '@app/audit';
import { Clock, JobHandler, type JobPayloads } from '@app/common';
import { RightsRequest } from './rights-request.entity';

const BATCH = 200;
/** Longer than any request stays open, so Redis dedupe never lets the same alert through twice. */
const ALERT_DEDUPE_MS = 400 * 24 * 60 * 60 * 1000;

/**
 * Raises `rights_request_overdue` once per request that is still open past its due date. The row
 * remembers the alert (`overdue_alerted_at`), so a later run or another worker does not repeat it;
 * the alert's Redis dedupe covers a crash between raising and marking.
 */
@Injectable()
export class RightsOverdueCheckJob {
  private readonly logger = new Logger('RightsOverdue');

  constructor(
    private readonly em: EntityManager,
    private readonly alerts: AlertsService,
    private readonly clock: Clock,
  ) {}

  // No try/catch: a failed check throws, so BullMQ retries it.
  @JobHandler('rights.overdue-check')
  async run(_payload: JobPayloads['rights.overdue-check']): Promise<{ alerted: number }> {
    const now = this.clock.now();
    const requests = this.em.fork().getRepository(RightsRequest);
    let alerted = 0;
    for (;;) {
      const overdue = await requests.overdueUnalerted(now, BATCH);
      for (const request of overdue) {
        await this.alerts.raise(
          'rights_request_overdue',
          'high',
          `rights_request:${request.id}`,
          { requestId: request.id, kind: request.kind, dueAt: request.dueAt.toISOString() },
          ALERT_DEDUPE_MS,
        );
        if (await requests.markOverdueAlerted(request.id, now)) alerted += 1;
      }
      if (overdue.length < BATCH) break;
    }
    this.logger.log({ alerted }, 'overdue rights requests alerted');
    return { alerted };
  }
}
