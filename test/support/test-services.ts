import type { DynamicModule, ModuleMetadata, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { AppConfig, Clock, CoreModule } from '@app/common';
import { migrateUp } from '../../apps/cli/src/launcher/migrations';
import { createTestDatabase, type TestDatabase } from './test-database';
import { deleteRedisKeys, testConfig } from './test-app';

export interface TestServices {
  module: TestingModule;
  config: AppConfig;
  database: TestDatabase;
  get<T>(type: Type<T>): T;
  close(): Promise<void>;
}

/**
 * The medium test tier: the real services of the given modules on a migrated database of their
 * own and a Redis key prefix of their own, without HTTP. For policies, stores and use cases whose
 * behaviour depends on SQL (locks, transactions, constraints) but not on the request pipeline.
 */
export async function startTestServices(options: {
  imports: Array<Type<unknown> | DynamicModule>;
  providers?: ModuleMetadata['providers'];
  env?: Record<string, string>;
  clock?: Clock;
}): Promise<TestServices> {
  const database = await createTestDatabase();
  const config = testConfig(database, options.env);
  await migrateUp(config.database);
  const module = await Test.createTestingModule({
    imports: [CoreModule.forRoot(config, 'int', { clock: options.clock }), ...options.imports],
    providers: options.providers,
  }).compile();
  await module.init();
  return {
    module,
    config,
    database,
    get: <T>(type: Type<T>) => module.get(type, { strict: false }),
    close: async () => {
      await module.close();
      await deleteRedisKeys(config.redis.keyPrefix);
      await database.drop();
    },
  };
}
