import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

/** The compiled CLI (`npm start` and every command), as an operator runs it. */
export const CLI_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');

/** One JSON log line of a service process (pino: pid, level, msg and the line's own fields). */
export interface LogLine {
  pid?: number;
  msg?: string;
  [key: string]: unknown;
}

/** A compiled service started as an OS process in a process group of its own. */
export interface ServiceProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** stdout and stderr as received so far (for failure messages). */
  output(): string;
  /** The JSON lines written to stdout so far (other lines skipped). */
  logLines(): LogLine[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** SIGTERM to the whole group; SIGKILL to it after `graceMs`. Answers how the leader exited. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns `node <CLI_MAIN> ...args` detached (its own process group, so nothing it starts outlives
 * a kill of the group), from a scratch cwd (no `.env` is read), with exactly `env` plus PATH/HOME.
 */
export function spawnCli(
  name: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): ServiceProcess {
  let output = '';
  let stdout = '';
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is gone already.
    }
  };
  return {
    name,
    pid: child.pid!,
    child,
    output: () => output,
    logLines: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as LogLine];
          } catch {
            return [];
          }
        }),
    exited,
    running,
    stop: async (graceMs = 15_000) => {
      if (running()) {
        signalGroup('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
        const result = await exited;
        clearTimeout(timer);
        signalGroup('SIGKILL'); // anything the leader left behind in its group
        return result;
      }
      signalGroup('SIGKILL');
      return exited;
    },
  };
}

/** Runs a one-shot CLI command to its end; answers its exit code, stdout and stderr. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A TCP (TLS pass-through) load balancer on 127.0.0.1: each new connection goes to the next backend. */
export interface TcpBalancer {
  port: number;
  url: string;
  /** Connections handed to each backend so far, in the order the backends were given. */
  connections(): number[];
  close(): Promise<void>;
}

/**
 * What a layer-4 load balancer in front of N API replicas does (AWS NLB, a TCP `haproxy`
 * backend): round-robin per connection, TLS untouched, so each API terminates TLS itself.
 */
export async function startTcpBalancer(backendPorts: number[]): Promise<TcpBalancer> {
  const counts = backendPorts.map(() => 0);
  const sockets = new Set<Socket>();
  let next = 0;
  const server: Server = createServer((client) => {
    const index = next++ % backendPorts.length;
    counts[index] += 1;
    const upstream = connect(backendPorts[index], '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    connections: () => [...counts],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
