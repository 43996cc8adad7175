import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { ensureDevCertificate } from '../../apps/cli/src/launcher/dev-tls';
import { ensureLocalKeyFile } from '../../apps/cli/src/launcher/local-key-file';
import { ensureAuditSigningKey } from '../../apps/cli/src/launcher/audit-signing-key';
import { TEST_PG_ADMIN_URL, TEST_REDIS_URL } from './services';

/** Fails fast with a clear message when Postgres or Redis is down; builds dist/ for CLI suites. */
export default async function globalSetup(): Promise<void> {
  const pg = new Client({ connectionString: TEST_PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await pg.connect();
  } catch {
    throw new Error(`e2e tests need PostgreSQL at ${TEST_PG_ADMIN_URL} (set TEST_PG_ADMIN_URL)`);
  } finally {
    await pg.end().catch(() => undefined);
  }
  const redis = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    throw new Error(`e2e tests need Redis at ${TEST_REDIS_URL} (set TEST_REDIS_URL)`);
  } finally {
    redis.disconnect();
  }
  const tlsDir = mkdtempSync(join(tmpdir(), 'msync-test-tls-'));
  await ensureDevCertificate(join(tlsDir, 'cert.pem'), join(tlsDir, 'key.pem'));
  await ensureLocalKeyFile(join(tlsDir, 'kek.key'));
  await ensureAuditSigningKey(join(tlsDir, 'audit-signing.key'));
  process.env.TEST_TLS_DIR = tlsDir;
  // Only the CLI suites run dist/; TEST_SKIP_BUILD=1 saves the build when running other suites alone.
  if (process.env.TEST_SKIP_BUILD !== '1') {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: join(__dirname, '../..'), stdio: 'inherit' });
  }
}
