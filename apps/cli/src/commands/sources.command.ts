import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { SingleBar } from 'cli-progress';
import { AppConfig, CoreModule, readEnvironment } from '@app/common';
import { AuditModule } from '@app/audit';
import { CryptoModule } from '@app/crypto';
import { PollingModule, SourcesService } from '@app/sync';
import { createCommandContext, prepareCommand } from '../launcher/command-context';

export class SourcesCommandError extends Error {}

const STALL_WARNING_MS = 30_000;

/**
 * `sources backfill <sourceId>`: starts importing a source's whole change feed from the beginning
 * and follows it with a progress bar (the same status as `GET /api/v1/admin/sources/{id}/backfill`).
 * The running worker does the import; this command only starts and watches it.
 */
export async function sourcesCommand(args: string[]): Promise<void> {
  const [action, sourceId] = args;
  if (action !== 'backfill' || !sourceId) throw new SourcesCommandError('usage: sources backfill <sourceId>');
  const env = readEnvironment();
  const config = await prepareCommand(env);
  const app = await createCommandContext(SourcesCliModule.with(config));
  try {
    const sources = app.get(SourcesService);
    let status = await sources.backfill(sourceId, {
      system: 'cli:sources-backfill',
      request: { ip: 'local', method: 'CLI', route: 'sources backfill', requestId: randomUUID() },
    });
    process.stderr.write(`backfill of ${sourceId} started\n`);
    const bar = new SingleBar({
      format: ' {bar} {percentage}% | {processed} changes read',
      stream: process.stderr,
    });
    bar.start(100, status.progress ?? 0, { processed: status.processed });
    let lastProcessed = status.processed;
    let unchangedSince = Date.now();
    while (status.status === 'running') {
      await new Promise((r) => setTimeout(r, 500));
      status = await sources.backfillStatus(sourceId);
      if (status.processed !== lastProcessed) unchangedSince = Date.now();
      lastProcessed = status.processed;
      bar.update(status.progress ?? 0, { processed: status.processed });
      if (Date.now() - unchangedSince > STALL_WARNING_MS) {
        bar.stop();
        process.stderr.write(
          'no progress for 30 s: is a worker running (npm start or npm run start:worker)?\n',
        );
        unchangedSince = Date.now();
        bar.start(100, status.progress ?? 0, { processed: status.processed });
      }
    }
    bar.stop();
    process.stdout.write(`${JSON.stringify(status)}\n`);
    if (status.status !== 'done') process.exitCode = 1;
  } finally {
    await app.close();
  }
}

@Module({})
class SourcesCliModule {
  static with(config: AppConfig) {
    return {
      module: SourcesCliModule,
      imports: [CoreModule.forRoot(config, 'cli'), CryptoModule, AuditModule, PollingModule],
    };
  }
}
