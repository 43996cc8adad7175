import { startCommand, type StartMode } from './commands/start.command';
import { migrationCommand } from './commands/migration.command';
import { AdminCommandError, adminCommand } from './commands/admin.command';
import { KeysCommandError, keysCommand } from './commands/keys.command';
import { DomainError } from '@app/common';
import { ServiceUnavailable } from './launcher/services';

const USAGE = `usage: npm run cli -- <command>
  start [all|api|worker]        prepare a dev install if needed, migrate, run the service
  migration up|down             apply or revert migrations
  migration create <name>       write a new migration and regenerate migrations/index.ts
  admin create --email E --role compliance_officer|operator|security_admin
                                create an admin (password from ADMIN_PASSWORD or stdin);
                                prints {id, email, role, totpSecret, otpauthUrl} once
  keys rotate [--reencrypt]     rotate the key-encryption key; the worker re-wraps (and
                                optionally re-encrypts) everything; shows a progress bar`;

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
    case 'keys':
      return keysCommand(rest);
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
    error instanceof KeysCommandError ||
    error instanceof ServiceUnavailable ||
    error instanceof DomainError
  ) {
    console.error(error.message);
  } else {
    console.error(`error: ${(error as Error).message}`);
  }
  process.exit(error instanceof UsageError ? 2 : 1);
});
