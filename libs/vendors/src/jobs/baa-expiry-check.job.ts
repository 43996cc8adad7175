import { Injectable, Logger } from '@nestjs/common';
import { JobHandler, type JobPayloads } from '@app/common';
import { VendorsService } from '../vendors.service';

/** Runs the daily BAA expiry check (see VendorsService.runExpiryCheck); a failure throws, so BullMQ retries it. */
@Injectable()
export class BaaExpiryCheckJob {
  private readonly logger = new Logger('BaaExpiryCheck');

  constructor(private readonly vendors: VendorsService) {}

  @JobHandler('vendors.baa-expiry-check')
  async run(_payload: JobPayloads['vendors.baa-expiry-check']) {
    const result = await this.vendors.runExpiryCheck();
    this.logger.log(result, 'BAA expiry check done');
    return result;
  }
}
