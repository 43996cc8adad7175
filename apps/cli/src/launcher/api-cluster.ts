// API_PROCESSES > 1: the launcher's primary forks that many API processes (Node cluster) that share
// its HTTPS port; setup and migrations have already run once in the primary, which only supervises.
import cluster, { type Worker } from 'node:cluster';
import { loadAppConfig, onShutdownSignal, readEnvironment, type AppConfig } from '@app/common';
import { createApiApplication } from '../../../api/src';

export interface ApiCluster {
  /** Process ids of the API processes now serving. */
  pids(): number[];
  /** Asks every API process to finish in-flight requests and exit; resolves when all have exited. */
  stop(): Promise<void>;
}

export interface ApiClusterOptions {
  processes: number;
  /** Variables the API processes need beyond the launcher's environment (the database and Redis it resolved). */
  env: Record<string, string>;
  /** The entry the API processes run (default: the launcher's own, with its arguments). */
  exec?: string;
  execArgv?: string[];
  /** Told when a serving API process dies and is replaced. */
  say?: (line: string) => void;
}

/** A process that ended before it listened: the launcher cannot serve (it already printed why). */
export class ApiProcessFailed extends Error {}

const exited = (worker: Worker) =>
  new Promise<void>((resolve) => {
    if (worker.isDead()) return resolve();
    worker.once('exit', () => resolve());
  });

/**
 * Forks the API processes and resolves once every one listens (the cluster hands connections out
 * round-robin). One that fails to boot fails the start: the others are stopped and the promise
 * rejects. One that dies later is replaced, so a crash costs its in-flight requests, not the port.
 */
export async function forkApiProcesses(options: ApiClusterOptions): Promise<ApiCluster> {
  cluster.schedulingPolicy = cluster.SCHED_RR;
  cluster.setupPrimary({
    ...(options.exec ? { exec: options.exec, args: [] } : {}),
    ...(options.execArgv ? { execArgv: options.execArgv } : {}),
  });
  const serving = new Set<Worker>();
  let stopping = false;

  const fork = () =>
    new Promise<Worker>((resolve, reject) => {
      const worker = cluster.fork(options.env);
      const onExit = (code: number | null, signal: string | null) =>
        reject(
          new ApiProcessFailed(`an API process exited before it listened (${signal ?? `code ${code}`})`),
        );
      worker.once('exit', onExit);
      worker.once('listening', () => {
        worker.removeListener('exit', onExit);
        serving.add(worker);
        worker.once('exit', (code, signal) => {
          serving.delete(worker);
          // Code 0 is a graceful close (its own Ctrl-C); only a crash is replaced.
          if (stopping || code === 0) return;
          options.say?.(
            `• API process ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`,
          );
          fork().catch((error: Error) => options.say?.(`• ${error.message}`));
        });
        resolve(worker);
      });
    });

  const stop = async () => {
    stopping = true;
    const all = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    for (const worker of all) worker.process.kill('SIGTERM');
    await Promise.all(all.map(exited));
  };

  const started = await Promise.allSettled(Array.from({ length: options.processes }, fork));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { pids: () => [...serving].map((w) => w.process.pid!), stop };
}

/**
 * One API process of the cluster: reads the configuration as the primary passed it, builds the same
 * application the single-process launcher runs, listens on the shared port, and closes gracefully on
 * SIGINT (a terminal's Ctrl-C reaches the whole group) or SIGTERM (from the primary).
 */
export async function serveApiProcess(
  explainFailure: (error: unknown) => never = (e) => {
    throw e;
  },
): Promise<void> {
  const config: AppConfig = loadAppConfig(readEnvironment());
  const api = await createApiApplication(config).catch(explainFailure);
  // Nest runs the modules' init hooks in listen(): a key file that cannot unwrap the database's secrets shows there.
  await api.listen(config.http.port, config.http.host).catch(explainFailure);
  onShutdownSignal(config.http.shutdownTimeoutMs, () => api.close());
}
