import { fork, type ChildProcess } from 'node:child_process';

/** What a task process answers for the task with the same id. */
export type TaskResponse<R> = { id: number; result: R } | { id: number; error: string };

/**
 * A process of its own that runs one benchmark task at a time over IPC (the load generator of a
 * suite, so the clients never share the API's event loop). `script` is forked with this process's
 * exec arguments, so it runs under the same TypeScript loader as the benchmark itself.
 */
export class ForkedTasks<Task, Result> {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (r: Result) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(script: string) {
    this.child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message: TaskResponse<Result>) => {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiter) return;
      if ('error' in message) waiter.reject(new Error(`task process: ${message.error}`));
      else waiter.resolve(message.result);
    });
    this.child.on('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`task process exited (${code})`));
      this.pending.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run<R extends Result>(task: Task): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: Result) => void, reject });
      this.child.send({ id, task });
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
    if (this.child.exitCode === null) this.child.kill();
  }
}

/** The task process's side: runs each task it is sent with `perform` and answers its result or error. */
export function serveTasks<Task, Result>(perform: (task: Task) => Promise<Result>): void {
  process.on('message', (message: { id: number; task: Task }) => {
    perform(message.task).then(
      (result) => process.send?.({ id: message.id, result } satisfies TaskResponse<Result>),
      (error: Error) =>
        process.send?.({
          id: message.id,
          error: error.stack ?? error.message,
        } satisfies TaskResponse<Result>),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
