// The rights requests' background work, for the worker process only: the hourly overdue check's
// schedule. The API must never schedule it; the handler itself is in RightsModule.
import { Module } from '@nestjs/common';
import { RightsModule } from './rights.module';
import { RightsOverdueSchedule } from './rights-overdue.schedule';

@Module({
  imports: [RightsModule],
  providers: [RightsOverdueSchedule],
})
export class RightsJobsModule {}
