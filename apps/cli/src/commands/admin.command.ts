import { createInterface } from 'node:readline';
import { Module } from '@nestjs/common';
import { ADMIN_ROLES, AppConfig, CoreModule, type AdminRole, readEnvironment } from '@app/common';
import { AuditModule } from '@app/audit';
import { CryptoModule } from '@app/crypto';
import { AdminUsersService, IdentityModule } from '@app/identity';
import { createCommandContext, prepareCommand } from '../launcher/command-context';

export class AdminCommandError extends Error {}

/**
 * `admin create --email E --role R`: the bootstrap for a fresh install. The password comes from
 * ADMIN_PASSWORD or stdin; the TOTP secret and enrolment URI are printed once, as JSON on stdout.
 */
export async function adminCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'create') throw new AdminCommandError('usage: admin create --email E --role R');
  const email = flag(rest, '--email');
  const role = flag(rest, '--role') as AdminRole | undefined;
  if (!email || !role || !ADMIN_ROLES.includes(role)) {
    throw new AdminCommandError(`usage: admin create --email E --role ${ADMIN_ROLES.join('|')}`);
  }
  const env = readEnvironment();
  const password = env.ADMIN_PASSWORD ?? (await readPassword());
  const config = await prepareCommand(env);
  const app = await createCommandContext(AdminCliModule.with(config));
  try {
    const created = await app.get(AdminUsersService).create({ email, password, role });
    process.stdout.write(`${JSON.stringify(created)}\n`);
  } finally {
    await app.close();
  }
}

@Module({})
class AdminCliModule {
  static with(config: AppConfig) {
    return {
      module: AdminCliModule,
      imports: [CoreModule.forRoot(config, 'cli'), CryptoModule, AuditModule, IdentityModule],
    };
  }
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Reads the password from piped stdin, or asks for it without echo on a terminal. */
function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    return new Promise((resolve) => {
      let data = '';
      process.stdin.setEncoding('utf8');
      process.stdin.on('data', (chunk: string) => (data += chunk));
      process.stdin.on('end', () => resolve(data.replace(/\r?\n$/, '')));
    });
  }
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    process.stderr.write('Password: ');
    // Silence the echo of typed characters.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
    rl.question('', (answer) => {
      process.stderr.write('\n');
      rl.close();
      resolve(answer);
    });
  });
}
