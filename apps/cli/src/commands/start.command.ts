import cluster from 'node:cluster';
import { AppConfig, ConfigError, loadAppConfig, onShutdownSignal, readEnvironment } from '@app/common';
import { ApiProcessFailed, forkApiProcesses, serveApiProcess } from '../launcher/api-cluster';
import { resolveServices, ServiceUnavailable } from '../launcher/services';
import { createApiApplication } from '../../../api/src';
import { createWorkerApplication } from '../../../worker/src';
import { ensureInstallFiles, explainBootFailure, SetupRequired } from '../launcher/first-run';
import { migrateUp } from '../launcher/migrations';

export type StartMode = 'all' | 'api' | 'worker';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function explainStartFailure(error: unknown): never {
  try {
    explainBootFailure(error);
  } catch (explained) {
    if (explained instanceof SetupRequired) fail(explained.message);
    throw explained;
  }
}

/**
 * `npm start`: prepares a working install on first run (dev TLS certificate, local key file, a
 * database and Redis if none answer), applies migrations, then runs the API and/or the worker.
 */
export async function startCommand(mode: StartMode): Promise<void> {
  // An API process forked by the primary below (API_PROCESSES > 1): setup already ran there.
  if (cluster.isWorker) return serveApiProcess(explainStartFailure);
  const env = readEnvironment();
  let config: AppConfig;
  try {
    config = loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const stops: Array<() => Promise<void>> = [];

  try {
    await ensureInstallFiles(config, (line) => console.log(line));
  } catch (error) {
    if (error instanceof SetupRequired) fail(error.message);
    throw error;
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
  if ((mode === 'all' || mode === 'api') && config.http.processes > 1) {
    // The API processes reuse what this process resolved (an embedded database, a local Redis).
    const apis = await forkApiProcesses({
      processes: config.http.processes,
      env: { DATABASE_URL: config.database.url, REDIS_URL: config.redis.url },
      say: (line) => console.log(line),
    }).catch(async (error: unknown) => {
      if (!(error instanceof ApiProcessFailed)) throw error;
      for (const close of closers) await close();
      for (const stop of stops.reverse()) await stop();
      fail(`• ${error.message}`);
    });
    closers.unshift(() => apis.stop());
  } else if (mode === 'all' || mode === 'api') {
    const api = await createApiApplication(config).catch(explainStartFailure);
    await api.listen(config.http.port, config.http.host);
    // The API stops taking requests first, so in-flight ones finish before workers drain.
    closers.unshift(() => api.close());
  }
  if (mode === 'all' || mode === 'api') {
    const base = `https://localhost:${config.http.port}`;
    const processes = config.http.processes > 1 ? ` in ${config.http.processes} processes` : '';
    console.log(`\nMember-sync API is up${processes} (${mode === 'all' ? 'API + worker' : 'API only'}):
  API docs         ${base}/api/docs   (OpenAPI: ${base}/api/openapi.json)
  Health           ${base}/health/live   ${base}/health/ready
  Queue dashboard  ${base}/admin/queues   (sign in at ${base}/admin/sign-in: admin email, password, TOTP)
Press Ctrl-C to stop; in-flight requests and jobs finish first.`);
  } else {
    console.log('\nMember-sync worker is up. Press Ctrl-C to stop; running jobs finish first.');
  }

  onShutdownSignal(config.http.shutdownTimeoutMs, async () => {
    for (const close of closers) await close();
    for (const stop of stops.reverse()) await stop();
  });
}
