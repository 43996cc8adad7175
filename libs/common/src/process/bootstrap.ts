import { existsSync } from 'node:fs';
import { AppConfig, loadAppConfig } from '../config/app-config';
import { ConfigError } from '../config/environment';

export interface RunningProcess {
  close(): Promise<void>;
}

/**
 * Reads `.env` (if present) and the environment once, validates it into AppConfig, starts the
 * process and closes it gracefully on SIGINT/SIGTERM: in-flight requests and jobs finish, then exit.
 * A configuration error prints one line naming the variable and exits 1.
 */
export async function bootstrapProcess(
  name: string,
  start: (config: AppConfig) => Promise<RunningProcess>,
  env: Record<string, string | undefined> = readEnvironment(),
): Promise<void> {
  let config: AppConfig;
  try {
    config = loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  try {
    const running = await start(config);
    onShutdownSignal(config.http.shutdownTimeoutMs, () => running.close());
  } catch (error) {
    process.stderr.write(`${name} failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

/** The only reader of process.env: `.env` first (without overriding the real environment). */
export function readEnvironment(path = '.env'): Record<string, string | undefined> {
  if (existsSync(path)) process.loadEnvFile(path);
  return { ...process.env };
}

export function onShutdownSignal(timeoutMs: number, close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`${signal} received: finishing in-flight work (up to ${timeoutMs} ms)\n`);
    const force = setTimeout(() => {
      process.stderr.write('shutdown timed out; exiting\n');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
