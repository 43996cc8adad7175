import { Client } from 'pg';
import { testConfig } from '../../../../test/support/test-app';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { migrateUp } from './migrations';

describe('migrateUp', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('lets two processes migrate a fresh database at once: both succeed, each migration applied once', async () => {
    const config = testConfig(database);
    const [first, second] = await Promise.all([migrateUp(config.database), migrateUp(config.database)]);

    expect(first.length + second.length).toBeGreaterThan(0);
    expect([first.length, second.length]).toContain(0);
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; n: number }>(
        'select name, count(*)::int as n from mikro_orm_migrations group by name having count(*) > 1',
      );
      expect(rows).toEqual([]);
    } finally {
      await client.end();
    }
  });
});
