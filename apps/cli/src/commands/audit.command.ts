import { Module } from '@nestjs/common';
import { SingleBar } from 'cli-progress';
import { AppConfig, CoreModule, readEnvironment } from '@app/common';
import { AuditModule, AuditVerifierService } from '@app/audit';
import { createCommandContext, prepareCommand } from '../launcher/command-context';

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
  const config = await prepareCommand(env);
  const app = await createCommandContext(AuditCliModule.with(config));
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
