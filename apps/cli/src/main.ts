import { startCommand, type StartMode } from './commands/start.command';
import { migrationCommand } from './commands/migration.command';

const USAGE = `usage: npm run cli -- <command>
  start [all|api|worker]        prepare a dev install if needed, migrate, run the service
  migration up|down             apply or revert migrations
  migration create <name>       write a new migration and regenerate migrations/index.ts`;

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
    default:
      throw new UsageError();
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(USAGE);
  } else {
    console.error(`error: ${(error as Error).message}`);
  }
  process.exit(error instanceof UsageError ? 2 : 1);
});
