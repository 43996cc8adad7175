// The vendor registry's part of the worker: the daily BAA expiry check, and the sink gate that alert
// delivery asks before sending to the SIEM. Worker only: the API must never run or schedule these.
import { Global, Module } from '@nestjs/common';
import { SINK_GATE } from '@app/audit';
import { VendorSinkGate } from '../vendor-sink-gate';
import { VendorsModule } from '../vendors.module';
import { BaaExpiryCheckJob } from './baa-expiry-check.job';
import { BaaExpiryCheckSchedule } from './baa-expiry-check.schedule';

// Global so that audit's alert delivery finds SINK_GATE without importing the registry.
@Global()
@Module({
  imports: [VendorsModule],
  providers: [
    BaaExpiryCheckJob,
    BaaExpiryCheckSchedule,
    VendorSinkGate,
    { provide: SINK_GATE, useExisting: VendorSinkGate },
  ],
  exports: [SINK_GATE],
})
export class VendorsJobsModule {}
