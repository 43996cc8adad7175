import { existsSync } from 'node:fs';
import { AppConfig, ConfigError, loadAppConfig } from '@app/common';
import { resolveServices, ServiceUnavailable } from '../launcher/services';
import { onShutdownSignal, readEnvironment } from '@app/common/process/bootstrap';
import { createApiApplication } from '../../../api/src/http-app';
import { createWorkerApplication } from '../../../worker/src/worker-app';
import { ensureDevCertificate } from '../launcher/dev-tls';
import { ensureLocalKeyFile } from '../launcher/local-key-file';
import { ensureAuditSigningKey } from '../launcher/audit-signing-key';
import { migrateUp } from '../launcher/migrations';
import { UnwrapFailed } from '@app/crypto';

export type StartMode = 'all' | 'api' | 'worker';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** A database whose secrets were wrapped by another key-encryption key is the one start failure a newcomer meets. */
function explainStartFailure(error: unknown): never {
  if (error instanceof UnwrapFailed) {
    fail(`The database at DATABASE_URL holds secrets wrapped by a different key-encryption key than LOCAL_KEK_FILE.
Use the key file this database was created with, or point DATABASE_URL at another database
(in development: drop the old one, e.g. \`dropdb member_sync\`, and start again).`);
  }
  throw error;
}

/**
 * `npm start`: prepares a working install on first run (dev TLS certificate, local key file, a
 * database and Redis if none answer), applies migrations, then runs the API and/or the worker.
 */
export async function startCommand(mode: StartMode): Promise<void> {
  const env = readEnvironment();
  let config: AppConfig;
  try {
    config = loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const production = config.env === 'production';
  const stops: Array<() => Promise<void>> = [];

  if (!existsSync(config.tls.certFile) || !existsSync(config.tls.keyFile)) {
    if (production) fail('TLS_CERT_FILE / TLS_KEY_FILE do not exist; production needs a real certificate.');
    await ensureDevCertificate(config.tls.certFile, config.tls.keyFile);
    console.log(`• generated a self-signed dev TLS certificate in ${config.tls.certFile}`);
  }
  if (config.keys.provider === 'local' && !existsSync(config.keys.localKekFile)) {
    if (production) fail('LOCAL_KEK_FILE does not exist; production must mount its key file (or use a KMS).');
    await ensureLocalKeyFile(config.keys.localKekFile);
    console.log(`• generated a local key-encryption key file (mode 0600) in ${config.keys.localKekFile}`);
  }

  if (!existsSync(config.audit.signingKeyFile)) {
    if (production)
      fail('AUDIT_SIGNING_KEY_FILE does not exist; production must mount the checkpoint signing key.');
    await ensureAuditSigningKey(config.audit.signingKeyFile);
    console.log(
      `• generated the audit checkpoint signing key (Ed25519, mode 0600) in ${config.audit.signingKeyFile}`,
    );
  }

  let prepared;
  try {
    prepared = await resolveServices(config, env, { mayStart: true });
  } catch (error) {
    if (error instanceof ServiceUnavailable) fail(error.message);
    throw error;
  }
  config = prepared.config;
  stops.push(...prepared.stops);

  const applied = await migrateUp(config.database);
  console.log(
    applied.length ? `• applied migrations: ${applied.join(', ')}` : '• database schema is up to date',
  );

  const closers: Array<() => Promise<void>> = [];
  if (mode === 'all' || mode === 'worker') {
    const worker = await createWorkerApplication(config).catch(explainStartFailure);
    closers.push(() => worker.close());
  }
  if (mode === 'all' || mode === 'api') {
    const api = await createApiApplication(config).catch(explainStartFailure);
    await api.listen(config.http.port, config.http.host);
    // The API stops taking requests first, so in-flight ones finish before workers drain.
    closers.unshift(() => api.close());
    const base = `https://localhost:${config.http.port}`;
    console.log(`\nMember-sync API is up (${mode === 'all' ? 'API + worker' : 'API only'}):
  API docs         ${base}/api/docs   (OpenAPI: ${base}/api/openapi.json)
  Health           ${base}/health/live   ${base}/health/ready
  Queue dashboard  ${base}/admin/queues   (admin token required)
Press Ctrl-C to stop; in-flight requests and jobs finish first.`);
  } else {
    console.log('\nMember-sync worker is up. Press Ctrl-C to stop; running jobs finish first.');
  }

  onShutdownSignal(config.http.shutdownTimeoutMs, async () => {
    for (const close of closers) await close();
    for (const stop of stops.reverse()) await stop();
  });
}
