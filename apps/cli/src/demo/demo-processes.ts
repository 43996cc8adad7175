import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

/** What the demo needs a step to prove; thrown with the reason when it does not. */
export class DemoFailed extends Error {}

/** A process the demo started (the launcher, the membership-sim): output logged to a file. */
export interface DemoProcess {
  name: string;
  child: ChildProcess;
  /** The last ~64 KB the process printed (stdout and stderr). */
  output(): string;
  exited: Promise<number | null>;
  /** SIGINT (graceful: in-flight work finishes), then SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<number | null>;
}

const KEEP_OUTPUT = 64 * 1024;

export function startProcess(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
): DemoProcess {
  mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  const log = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  let output = '';
  // A process group of its own: Ctrl-C in the terminal reaches the demo alone, which then stops
  // each child once, gracefully (a second SIGINT would kill the launcher mid-shutdown).
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const take = (chunk: Buffer) => {
    log.write(chunk);
    output = (output + chunk.toString()).slice(-KEEP_OUTPUT);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      log.end();
      resolve(code);
    }),
  );
  const stop = async (timeoutMs = 30_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { name, child, output: () => output, exited, stop };
}

/** Resolves once `text` appears in the process's output; fails if it exits or time runs out first. */
export async function waitForOutput(proc: DemoProcess, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.output().includes(text)) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new DemoFailed(`${proc.name} exited before it was ready:\n${tail(proc.output())}`);
    }
    if (Date.now() > deadline) {
      throw new DemoFailed(`${proc.name} was not ready after ${timeoutMs / 1000} s:\n${tail(proc.output())}`);
    }
    await sleep(100);
  }
}

/** The last lines a process printed, for a failure message. */
export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Whether nothing listens on 127.0.0.1:`port` yet (so a process of ours can). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port nothing listens on: connecting to it is refused at once. */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls `probe` until it answers something other than undefined, or fails naming `what`. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new DemoFailed(`${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}
