import { MikroORM } from '@mikro-orm/postgresql';
import { mikroOrmOptions, type AppConfig } from '@app/common';

/** Applies every pending migration; returns the names applied. */
export async function migrateUp(database: AppConfig['database']): Promise<string[]> {
  const orm = await MikroORM.init(
    mikroOrmOptions({ ...database, url: database.migrationUrl }, { asSchemaOwner: true }),
  );
  try {
    const applied = await orm.getMigrator().up();
    return applied.map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}

export async function migrateDown(database: AppConfig['database']): Promise<string[]> {
  const orm = await MikroORM.init(
    mikroOrmOptions({ ...database, url: database.migrationUrl }, { asSchemaOwner: true }),
  );
  try {
    const reverted = await orm.getMigrator().down();
    return reverted.map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}
