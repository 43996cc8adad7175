import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { SingleBar } from 'cli-progress';
import { AppConfig, CoreModule, readEnvironment } from '@app/common';
import { AuditModule } from '@app/audit';
import { CryptoModule } from '@app/crypto';
import { KeyRotationService, KeysModule } from '@app/keys';
import { MembersModule } from '@app/members';
import { SyncModule } from '@app/sync';
import { createCommandContext, prepareCommand } from '../launcher/command-context';

export class KeysCommandError extends Error {}

/**
 * `keys rotate [--reencrypt]`: starts a KEK rotation and follows it with a progress bar. The
 * running worker (npm start) does the re-wrapping; this command only watches.
 */
export async function keysCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'rotate') throw new KeysCommandError('usage: keys rotate [--reencrypt]');
  const env = readEnvironment();
  const config = await prepareCommand(env);
  const app = await createCommandContext(KeysCliModule.with(config));
  try {
    const rotations = app.get(KeyRotationService);
    const started = await rotations.start(
      {
        system: 'cli:keys-rotate',
        request: { ip: 'local', method: 'CLI', route: 'keys rotate', requestId: randomUUID() },
      },
      { reencrypt: rest.includes('--reencrypt') },
    );
    process.stderr.write(
      `rotation ${started.id}: ${started.total} wrapped secrets to re-wrap${started.reencrypt ? ' and re-encrypt' : ''}\n`,
    );
    const bar = new SingleBar({
      format: ' {bar} {percentage}% | {value}/{total} | ETA {eta}s',
      stream: process.stderr,
    });
    bar.start(Math.max(1, started.total), 0);
    let status = started;
    let unchangedSince = Date.now();
    while (status.status === 'running') {
      await new Promise((r) => setTimeout(r, 500));
      const next = await rotations.status(started.id);
      if (next.done !== status.done) unchangedSince = Date.now();
      status = next;
      bar.setTotal(Math.max(1, status.total));
      bar.update(status.done);
      if (Date.now() - unchangedSince > 30_000) {
        bar.stop();
        process.stderr.write(
          'no progress for 30 s: is a worker running (npm start or npm run start:worker)?\n',
        );
        unchangedSince = Date.now();
        bar.start(Math.max(1, status.total), status.done);
      }
    }
    bar.stop();
    process.stdout.write(`${JSON.stringify(status)}\n`);
    if (status.status !== 'completed') process.exitCode = 1;
  } finally {
    await app.close();
  }
}

@Module({})
class KeysCliModule {
  static with(config: AppConfig) {
    return {
      module: KeysCliModule,
      // Every lib that owns wrapped secrets, so a run counts and re-wraps all of them (sync: webhook
      // secrets, idempotency data keys).
      imports: [
        CoreModule.forRoot(config, 'cli'),
        CryptoModule,
        AuditModule,
        MembersModule,
        SyncModule,
        KeysModule,
      ],
    };
  }
}
