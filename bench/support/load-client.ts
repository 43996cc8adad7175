import { fork, type ChildProcess } from 'node:child_process';
import { extname, join } from 'node:path';
import type { ListResult, LoadResponse, LoadTask, ReadResult } from './load-tasks';

type ResultOf<T extends LoadTask> = T extends { kind: 'list-walks' } ? ListResult : ReadResult;

/**
 * The parent's handle on the load process. It is forked with this process's exec arguments, so
 * it runs under the same TypeScript loader as the benchmark itself.
 */
export class LoadClient {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (r: never) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor() {
    this.child = fork(join(__dirname, `load-process${extname(__filename)}`), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: LoadResponse) => {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiter) return;
      if ('error' in message) waiter.reject(new Error(`load process: ${message.error}`));
      else waiter.resolve(message.result as never);
    });
    this.child.on('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`load process exited (${code})`));
      this.pending.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run<T extends LoadTask>(task: T): Promise<ResultOf<T>> {
    const id = this.nextId++;
    return new Promise<ResultOf<T>>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, task });
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
    if (this.child.exitCode === null) this.child.kill();
  }
}
