import { SetMetadata } from '@nestjs/common';
import type { JobName } from './job-catalog';

export const JOB_HANDLER_KEY = 'jobs:handler';

/**
 * Marks the method that runs a job. The method receives the payload and a progress callback; it
 * must throw on failure (BullMQ then retries), never swallow an error.
 */
export const JobHandler = (name: JobName) => SetMetadata(JOB_HANDLER_KEY, name);

export interface JobContext {
  jobId: string;
  attempt: number;
  /** True on the last attempt BullMQ will make: a handler may record a terminal failure. */
  final: boolean;
  progress(percent: number): Promise<void>;
}
