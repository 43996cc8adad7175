import { MikroORM } from '@mikro-orm/postgresql';
import { Client, type ClientConfig } from 'pg';
import { mikroOrmOptions, type AppConfig } from '@app/common';

/** Advisory-lock key (two-int form, namespace 'mig') held while a process migrates. */
const MIGRATION_LOCK: [number, number] = [0x6d6967, 1];

/** Applies every pending migration; returns the names applied. */
export async function migrateUp(database: AppConfig['database']): Promise<string[]> {
  return migrate(database, async (orm) => (await orm.getMigrator().up()).map((m) => m.name));
}

export async function migrateDown(database: AppConfig['database']): Promise<string[]> {
  return migrate(database, async (orm) => (await orm.getMigrator().down()).map((m) => m.name));
}

/**
 * Several processes start at once (API replicas, a worker, a CLI command); MikroORM's migrator
 * does not lock, so they take turns under a session advisory lock on a connection of their own.
 */
async function migrate(
  database: AppConfig['database'],
  work: (orm: MikroORM) => Promise<string[]>,
): Promise<string[]> {
  const orm = await MikroORM.init(
    mikroOrmOptions({ ...database, url: database.migrationUrl }, { asSchemaOwner: true }),
  );
  const driver: { connection?: ClientConfig } = orm.config.get('driverOptions');
  const lock = new Client({
    ...(orm.em.getConnection().getConnectionOptions() as ClientConfig),
    ...driver.connection,
    application_name: 'migrations',
  });
  try {
    await lock.connect();
    await lock.query('select pg_advisory_lock($1, $2)', MIGRATION_LOCK);
    return await work(orm);
  } finally {
    await lock.end().catch(() => undefined);
    await orm.close(true);
  }
}
