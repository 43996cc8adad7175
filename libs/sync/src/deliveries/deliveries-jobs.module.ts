// The deliveries' background schedule, for the worker process only: the sweep that resumes parked
// deliveries. The API must never schedule; the handlers themselves are in DeliveriesModule.
import { Module } from '@nestjs/common';
import { DeliveriesModule } from './deliveries.module';
import { ResumeParkedSchedule } from './resume-parked.schedule';

@Module({
  imports: [DeliveriesModule],
  providers: [ResumeParkedSchedule],
})
export class DeliveriesJobsModule {}
