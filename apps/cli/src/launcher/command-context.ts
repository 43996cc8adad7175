import type { DynamicModule, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadAppConfig, type AppConfig } from '@app/common';
import { databaseHoldsWrappedSecrets } from './database';
import { explainBootFailure, ensureInstallFiles } from './first-run';
import { migrateUp } from './migrations';
import { resolveServices } from './services';

const toStderr = (line: string) => process.stderr.write(`${line}\n`);

/**
 * What a one-shot command (admin, seed, keys, audit) needs before it opens the database: the
 * running database and Redis (it starts none), the first-run files, and the schema up to date.
 * Progress goes to stderr: stdout is the command's result.
 */
export async function prepareCommand(env: Record<string, string | undefined>): Promise<AppConfig> {
  const { config } = await resolveServices(loadAppConfig(env), env, { mayStart: false, say: toStderr });
  const databaseHoldsSecrets = await databaseHoldsWrappedSecrets(config.database.url);
  await ensureInstallFiles(config, toStderr, { databaseHoldsSecrets });
  await migrateUp(config.database);
  return config;
}

/**
 * The command's Nest context, without Nest's own boot logging: a failure to boot reaches the CLI's
 * one-line error handler instead of a framework stack trace.
 */
export async function createCommandContext(module: DynamicModule): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(module, {
    logger: false,
    abortOnError: false,
  }).catch(explainBootFailure);
  app.useLogger(['error']);
  return app;
}
