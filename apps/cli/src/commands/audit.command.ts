import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SingleBar } from 'cli-progress';
import { AppConfig, CoreModule, loadAppConfig } from '@app/common';
import { readEnvironment } from '@app/common/process/bootstrap';
import { AuditModule, AuditVerifierService } from '@app/audit';
import { migrateUp } from '../launcher/migrations';
import { resolveServices } from '../launcher/services';

export class AuditCommandError extends Error {}

/**
 * `audit verify [--full]`: recomputes the hash chain (from the last verified checkpoint, or from
 * the start with --full) and checks every checkpoint signature, with a progress bar. Prints the
 * result as JSON; exits 1 when the trail is broken, naming the first broken sequence number.
 */
export async function auditCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'verify') throw new AuditCommandError('usage: audit verify [--full]');
  const env = readEnvironment();
  const { config } = await resolveServices(loadAppConfig(env), env, { mayStart: false });
  await migrateUp(config.database);
  const app = await NestFactory.createApplicationContext(AuditCliModule.with(config), { logger: ['error'] });
  const bar = new SingleBar({
    format: ' verifying {bar} {percentage}% | {value}/{total} events',
    stream: process.stderr,
  });
  let started = false;
  try {
    const result = await app.get(AuditVerifierService).verify({
      full: rest.includes('--full'),
      onProgress: (done, total) => {
        if (!started) {
          bar.start(Math.max(1, total), 0);
          started = true;
        }
        bar.update(done);
      },
    });
    if (started) bar.stop();
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (!result.ok) {
      process.stderr.write(`audit trail broken at sequence ${result.firstBrokenSeq}: ${result.problem}\n`);
      process.exitCode = 1;
    }
  } finally {
    await app.close();
  }
}

@Module({})
class AuditCliModule {
  static with(config: AppConfig) {
    return { module: AuditCliModule, imports: [CoreModule.forRoot(config, 'cli'), AuditModule] };
  }
}
