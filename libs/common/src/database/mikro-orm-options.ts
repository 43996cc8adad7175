import { readFileSync } from 'node:fs';
import { defineConfig, type PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { migrationsList } from '@migrations';
import type { AppConfig } from '../config/app-config';

const POOL_ACQUIRE_TIMEOUT_MS = 5_000;

function sslOptions(database: AppConfig['database']) {
  switch (database.sslMode) {
    case 'disable':
      return undefined;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-full':
      return {
        rejectUnauthorized: true,
        ...(database.sslCaFile ? { ca: readFileSync(database.sslCaFile, 'utf8') } : {}),
      };
  }
}

/** MikroORM options for every process. Migrations are a static list, so Jest and dist load them alike. */
export function mikroOrmOptions(
  database: AppConfig['database'],
  options: { asSchemaOwner?: boolean } = {},
): Options<PostgreSqlDriver> {
  const ssl = sslOptions(database);
  const role = options.asSchemaOwner ? '' : database.appRole;
  return defineConfig({
    clientUrl: database.url,
    pool: {
      min: 0,
      max: database.poolMax,
      // A request waits at most this long for a connection (knex's default is 60 s): an exhausted pool
      // fails fast instead of stalling every request, and well within any request timeout.
      acquireTimeoutMillis: POOL_ACQUIRE_TIMEOUT_MS,
      // The service never runs as the schema owner: it cannot alter tables or disable the audit triggers.
      ...(role
        ? {
            afterCreate: (
              connection: { query: (sql: string, done: (error: Error | null) => void) => void },
              done: (error: Error | null, connection: unknown) => void,
            ) => connection.query(`set role "${role}"`, (error) => done(error, connection)),
          }
        : {}),
    },
    driverOptions: ssl ? { connection: { ssl } } : {},
    discovery: { warnWhenNoEntities: false },
    // Registered explicitly: auto-discovery resolves from the working directory, which may be anywhere.
    extensions: [Migrator],
    allowGlobalContext: false,
    debug: false,
    migrations: {
      migrationsList,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
      path: 'migrations',
      pathTs: 'migrations',
    },
  });
}
