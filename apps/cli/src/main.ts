import { startCommand, type StartMode } from './commands/start.command';
import { migrationCommand } from './commands/migration.command';
import { AdminCommandError, adminCommand } from './commands/admin.command';
import { SeedCommandError, seedCommand } from './commands/seed.command';
import { KeysCommandError, keysCommand } from './commands/keys.command';
import { AuditCommandError, auditCommand } from './commands/audit.command';
import { SourcesCommandError, sourcesCommand } from './commands/sources.command';
import { DemoFailed, demoCommand } from './commands/demo.command';
import { ConfigError, DomainError } from '@app/common';
import { SetupRequired } from './launcher/first-run';
import { ServiceUnavailable } from './launcher/services';

const USAGE = `usage: npm run cli -- <command>
  start [all|api|worker]        prepare a dev install if needed, migrate, run the service
  migration up|down             apply or revert migrations
  migration create <name>       write a new migration and regenerate migrations/index.ts
  admin create --email E --role compliance_officer|operator|security_admin
                                create an admin (password from ADMIN_PASSWORD or stdin);
                                prints {id, email, role, totpSecret, otpauthUrl} once
  seed --members N --seed S [--organization ORG_ID] [--first-index I] [--batch-size B]
                                synthetic members (households, plans, wellness) through the
                                real encryption path; prints {organizationId, members, seconds}
  keys rotate [--reencrypt]     rotate the key-encryption key; the worker re-wraps (and
                                optionally re-encrypts) everything; shows a progress bar
  sources backfill <sourceId>   import a source's whole change feed from the beginning; the
                                worker imports, this shows a progress bar and prints the final
                                status as JSON (exit 1 unless done)
  audit verify [--full]         recompute the audit hash chain and check signed checkpoints;
                                exits 1 naming the first broken sequence number
  demo [--keep-running] [--members N]
                                start the service and the membership-sim, walk through the
                                workflow printing what each step proved, leave a populated install`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      const mode = (rest[0] ?? 'all') as StartMode;
      if (!['all', 'api', 'worker'].includes(mode)) throw new UsageError();
      return startCommand(mode);
    }
    case 'migration':
      return migrationCommand(rest);
    case 'admin':
      return adminCommand(rest);
    case 'seed':
      return seedCommand(rest);
    case 'keys':
      return keysCommand(rest);
    case 'audit':
      return auditCommand(rest);
    case 'sources':
      return sourcesCommand(rest);
    case 'demo':
      return demoCommand(rest);
    default:
      throw new UsageError();
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(USAGE);
  } else if (
    error instanceof AdminCommandError ||
    error instanceof SeedCommandError ||
    error instanceof KeysCommandError ||
    error instanceof AuditCommandError ||
    error instanceof SourcesCommandError ||
    error instanceof DemoFailed ||
    error instanceof ServiceUnavailable ||
    error instanceof SetupRequired ||
    error instanceof ConfigError ||
    error instanceof DomainError
  ) {
    console.error(error.message);
  } else {
    console.error(`error: ${(error as Error).message}`);
  }
  process.exit(error instanceof UsageError ? 2 : 1);
});
