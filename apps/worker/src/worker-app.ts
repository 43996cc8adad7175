import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { AppConfig, Clock } from '@app/common';
import { WorkerModule } from './worker.module';

/** Builds the worker's application context; BullMQ workers start with it and drain on close. */
export async function createWorkerApplication(
  config: AppConfig,
  options: { clock?: Clock } = {},
): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, options), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  await app.init();
  return app;
}
