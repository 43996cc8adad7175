// Where the e2e suites find the machine's real services. Override for another machine.
export const TEST_PG_ADMIN_URL =
  process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_TLS_DIR = process.env.TEST_TLS_DIR ?? '';
