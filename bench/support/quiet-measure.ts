import { CpuAccount, machineBusy, type CpuBreakdown } from './cpu-account';

/** Background CPU (cores) under which the machine counts as quiet enough to measure. */
export const QUIET_CORES = 0.25;
/** A run during which other work used more than this is measured again. */
export const OTHER_WORK_LIMIT_CORES = 0.3;
const MAX_ATTEMPTS = 3;

const log = (line: string) => process.stderr.write(`${line}\n`);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (up to `waitSeconds`) until other work on the machine has stopped; returns the cores it still used. */
export async function quietMachine(waitSeconds: number): Promise<number | null> {
  const deadline = Date.now() + waitSeconds * 1000;
  let busy = await machineBusy(3000);
  while (busy !== null && busy > QUIET_CORES && Date.now() < deadline) {
    log(`  the machine is busy with other work (${busy} cores); waiting for it to go quiet`);
    await pause(10_000);
    busy = await machineBusy(3000);
  }
  if (busy !== null && busy > QUIET_CORES) log(`  measuring anyway: ${busy} cores busy with other work`);
  return busy;
}

export interface Measured<T> {
  result: T;
  cpu: CpuBreakdown | null;
  attempts: number;
  backgroundCores: number | null;
}

/**
 * Runs a phase on a quiet machine and accounts its CPU; if other work used the machine meanwhile
 * (another user's tests, say), the phase is measured again, up to three times. With `waitSeconds` 0
 * (a smoke run: `--quick`, `--wait-quiet 0`) it neither waits nor measures again.
 */
export async function measureQuietly<T>(
  waitSeconds: number,
  account: CpuAccount,
  run: () => Promise<T>,
  hooks: { sampleEveryMs?: number; onAttempt?: (result: T) => void } = {},
): Promise<Measured<T>> {
  for (let attempt = 1; ; attempt++) {
    const backgroundCores = await quietMachine(waitSeconds);
    account.start({ sampleEveryMs: hooks.sampleEveryMs });
    const result = await run();
    const cpu = account.stop();
    hooks.onAttempt?.(result);
    if (!cpu || cpu.other <= OTHER_WORK_LIMIT_CORES || attempt >= MAX_ATTEMPTS || waitSeconds === 0) {
      return { result, cpu, attempts: attempt, backgroundCores };
    }
    log(`  other work used ${cpu.other} cores during the run; measuring again (${attempt}/${MAX_ATTEMPTS})`);
  }
}
