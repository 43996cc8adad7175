import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { SingleBar } from 'cli-progress';
import { AppConfig, CoreModule, readEnvironment } from '@app/common';
import { AuditModule } from '@app/audit';
import { CryptoModule } from '@app/crypto';
import { IdentityModule } from '@app/identity';
import { MemberSeeder, MembersModule } from '@app/members';
import { createCommandContext, prepareCommand } from '../launcher/command-context';

export class SeedCommandError extends Error {}

const SEED_USAGE =
  'usage: seed --members N --seed S [--organization ORG_ID] [--first-index I] [--batch-size B]';

/**
 * `seed --members N --seed S [--organization ORG_ID]`: synthetic members (households, plans,
 * wellness enrolments) written through the real encryption path. Progress on stderr; a JSON
 * summary `{organizationId, members, seconds}` on stdout. `--first-index I` continues a seeded
 * set (members I, I+1, … of the same seed) in the organization given.
 */
export async function seedCommand(args: string[]): Promise<void> {
  const members = integerFlag(args, '--members', 1);
  const seed = integerFlag(args, '--seed', 0);
  const organizationId = flag(args, '--organization');
  const firstIndex = optionalIntegerFlag(args, '--first-index', 0);
  const batchSize = optionalIntegerFlag(args, '--batch-size', 1);
  if (organizationId !== undefined && !/^org_[0-9A-HJKMNP-TV-Z]{26}$/.test(organizationId)) {
    throw new SeedCommandError('--organization must be an org_ id');
  }

  const env = readEnvironment();
  // Members sealed under a key the API does not have would be unreadable: a key file is only
  // made for a database that holds no secrets yet (prepareCommand refuses otherwise).
  const config = await prepareCommand(env);
  const app = await createCommandContext(SeedCliModule.with(config));
  const bar = new SingleBar({
    stream: process.stderr,
    format:
      'seeding |{bar}| {percentage}% | {value}/{total} members | {speed} members/s | ETA {eta_formatted}',
    etaBuffer: 20,
    hideCursor: true,
  });
  try {
    const started = Date.now();
    bar.start(members, 0, { speed: '0' });
    const result = await app.get(MemberSeeder).seed({
      actor: {
        system: 'cli:seed',
        request: { ip: 'local', method: 'CLI', route: 'seed', requestId: randomUUID() },
      },
      members,
      seed,
      organizationId,
      firstIndex,
      batchSize,
      onProgress: (seeded) =>
        bar.update(seeded, { speed: Math.round(seeded / Math.max(0.001, (Date.now() - started) / 1000)) }),
    });
    bar.stop();
    process.stdout.write(
      `${JSON.stringify({ organizationId: result.organizationId, members: result.members, seconds: round(result.seconds) })}\n`,
    );
  } finally {
    bar.stop();
    await app.close();
  }
}

@Module({})
class SeedCliModule {
  static with(config: AppConfig) {
    return {
      module: SeedCliModule,
      imports: [CoreModule.forRoot(config, 'cli'), CryptoModule, AuditModule, IdentityModule, MembersModule],
    };
  }
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function integerFlag(args: string[], name: string, min: number): number {
  const raw = flag(args, name);
  const value = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    throw new SeedCommandError(`${SEED_USAGE}\n${name} must be an integer ≥ ${min}`);
  }
  return value;
}

function optionalIntegerFlag(args: string[], name: string, min: number): number | undefined {
  return flag(args, name) === undefined ? undefined : integerFlag(args, name, min);
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
