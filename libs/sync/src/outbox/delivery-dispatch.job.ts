import { Injectable, Logger } from '@nestjs/common';
import { JobHandler, type JobPayloads } from '@app/common';

/**
 * PLACEHOLDER, to be replaced by the deliveries task (issue 10 item 7), which owns this handler.
 * The worker refuses to start while a job of the catalog has no handler, and the `deliveries`
 * queue must exist for the relay and the dashboard; until subscriptions and the return path to
 * the membership system exist there is nowhere to deliver to, so a job only logs its ids.
 */
@Injectable()
export class DeliveryDispatchJob {
  private readonly logger = new Logger('Deliveries');

  @JobHandler('deliveries.dispatch')
  run(payload: JobPayloads['deliveries.dispatch']): Promise<{ delivered: 0 }> {
    this.logger.log(
      {
        outboxId: payload.outboxId,
        memberId: payload.memberId,
        organizationId: payload.organizationId,
        version: payload.version,
        kind: payload.kind,
      },
      'member change received for delivery (placeholder: no deliveries yet)',
    );
    return Promise.resolve({ delivered: 0 });
  }
}
