import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { loadAppConfig, readEnvironment } from '@app/common';
import { createApiApplication } from '../../../api/src';
import { createDatabaseFor } from '../launcher/database';
import { ensureAuditSigningKey } from '../launcher/audit-signing-key';
import { ensureDevCertificate } from '../launcher/dev-tls';
import { ensureLocalKeyFile } from '../launcher/local-key-file';
import { migrateUp } from '../launcher/migrations';
import { resolveServices } from '../launcher/services';
import {
  DOCUMENTED_ORIGIN,
  normalizeOpenApiDocument,
  serializeOpenApiDocument,
} from './openapi-document-file';

const ROOT = resolve(__dirname, '../../../..');
export const SDK_DOCUMENT_FILE = join(ROOT, 'libs/sdk/openapi.json');
export const SDK_SCHEMA_FILE = join(ROOT, 'libs/sdk/src/schema.ts');

const say = (line: string) => process.stderr.write(`${line}\n`);

/**
 * `npm run sdk:generate`: builds the API application (not listening) on a throwaway database and
 * Redis prefix, with throwaway TLS and key files, takes the OpenAPI document it serves, normalizes it
 * (see openapi-document-file.ts) into libs/sdk/openapi.json and regenerates libs/sdk/src/schema.ts.
 * Uses the configured PostgreSQL and Redis, or starts the development fallbacks (as `npm start` does).
 */
export async function generateSdkDocument(): Promise<void> {
  const env = readEnvironment();
  const { config: services, stops } = await resolveServices(loadAppConfig(env), env, { mayStart: true, say });
  const files = mkdtempSync(join(tmpdir(), 'msync-openapi-'));
  const database = new URL(services.database.url);
  database.pathname = `/msync_openapi_${randomBytes(6).toString('hex')}`;
  try {
    await createDatabaseFor(database.toString());
    await ensureDevCertificate(join(files, 'cert.pem'), join(files, 'key.pem'));
    await ensureLocalKeyFile(join(files, 'kek.key'));
    await ensureAuditSigningKey(join(files, 'audit-signing.key'));
    // Only what the document needs; every other setting keeps its default, as on a fresh install.
    const config = loadAppConfig(
      {},
      {
        NODE_ENV: 'development',
        DATABASE_URL: database.toString(),
        REDIS_URL: services.redis.url,
        REDIS_KEY_PREFIX: `openapi_${randomBytes(5).toString('hex')}`,
        TLS_CERT_FILE: join(files, 'cert.pem'),
        TLS_KEY_FILE: join(files, 'key.pem'),
        LOCAL_KEK_FILE: join(files, 'kek.key'),
        AUDIT_SIGNING_KEY_FILE: join(files, 'audit-signing.key'),
        AUDIT_CHECKPOINT_DIR: files,
        PUBLIC_BASE_URL: DOCUMENTED_ORIGIN,
        LOG_LEVEL: 'silent',
      },
    );
    // Booting runs the modules' start-up reads (signing keys...): the throwaway database needs the schema.
    await migrateUp(config.database);
    const app = await createApiApplication(config);
    let served: unknown;
    try {
      await app.init();
      const answer = await app
        .getHttpAdapter()
        .getInstance()
        .inject({ method: 'GET', url: '/api/openapi.json' });
      if (answer.statusCode !== 200) throw new Error(`the document answered ${answer.statusCode}`);
      served = answer.json();
    } finally {
      await app.close();
    }
    writeFileSync(SDK_DOCUMENT_FILE, serializeOpenApiDocument(normalizeOpenApiDocument(served)));
    say(`• wrote ${SDK_DOCUMENT_FILE}`);
    generateSchemaTypes(SDK_DOCUMENT_FILE, SDK_SCHEMA_FILE);
    say(`• wrote ${SDK_SCHEMA_FILE}`);
  } finally {
    await dropDatabase(database.toString());
    rmSync(files, { recursive: true, force: true });
    for (const stop of stops) await stop();
  }
}

/** openapi-typescript's CLI (the pinned one in node_modules), the same call the drift check makes. */
export function generateSchemaTypes(documentFile: string, outputFile: string): void {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/openapi-typescript/bin/cli.js'), documentFile, '-o', outputFile],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name.replace(/"/g, '""')}" with (force)`);
  } finally {
    await client.end();
  }
}

if (require.main === module) {
  generateSdkDocument().catch((error: unknown) => {
    console.error(`sdk:generate failed: ${(error as Error).message}`);
    process.exit(1);
  });
}
