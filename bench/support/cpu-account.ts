import { readdirSync, readFileSync } from 'node:fs';

/** Cores used during a measured run, by whom; `other` is everything else on the machine. */
export interface CpuBreakdown {
  machine: number;
  /** The API process(es): this process, or the cluster's API processes when measuring those. */
  api: number;
  /** CPU seconds the API process(es) used over the run (for CPU per request). */
  apiCpuSeconds: number;
  /** Wall-clock length of the accounted run. */
  seconds: number;
  /** The API process(es)' resident memory at its highest over the run (sampled every 250 ms), MB; summed over processes. */
  apiPeakRssMb: number | null;
  load: number;
  /** The backends serving the benchmark's database. */
  postgres: number;
  /** Every redis-server on the machine (rate limits and token revocation checks run there). */
  redis: number;
  /** Interrupt handling, mostly the loopback network stack. */
  irq: number;
  other: number;
}

// Linux reports times in clock ticks of 1/100 s (USER_HZ).
const TICKS_PER_SECOND = 100;

function machineTicks(): { busy: number; irq: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return { busy: user + nice + system + irq + softirq + steal, irq: irq + softirq };
}

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the parenthesised command.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Resident memory of a process in bytes (0 when it has ended). */
function processRssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Processes whose command line contains `needle` (backend titles read `postgres: … <database> …`). */
function pidsMatching(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
}

/** CPU ticks of a changing set of processes: those alive at start, plus any that appear later. */
class ProcessGroup {
  private readonly baseline = new Map<number, number>();
  private readonly latest = new Map<number, number>();

  constructor(private readonly find: () => number[]) {
    for (const pid of find()) this.baseline.set(pid, processTicks(pid));
  }

  sample(): void {
    for (const pid of this.find()) {
      if (!this.baseline.has(pid)) this.baseline.set(pid, 0);
      this.latest.set(pid, processTicks(pid));
    }
  }

  ticks(): number {
    this.sample();
    let sum = 0;
    for (const [pid, last] of this.latest) sum += last - (this.baseline.get(pid) ?? 0);
    return sum;
  }
}

/**
 * Where the machine's CPU went between start() and stop(): this process (the API), the load
 * process, the benchmark database's backends, Redis, interrupts, and everything else (other
 * users' work shows there). Linux only; elsewhere stop() returns null. With `sampleEveryMs` it
 * also catches backends that come and go within the run (the raw pg pool).
 */
export class CpuAccount {
  private run?: {
    at: number;
    machine: { busy: number; irq: number };
    api: ProcessGroup;
    load: number;
    postgres: ProcessGroup;
    redis: ProcessGroup;
    timer?: NodeJS.Timeout;
    peakRss: number;
    rssTimer: NodeJS.Timeout;
  };

  constructor(
    private readonly loadPid: number | undefined,
    private readonly database: string,
    /** Which processes serve the API; by default the benchmark's own (the API runs in-process). */
    private readonly apiPids: () => number[] = () => [process.pid],
  ) {}

  start(options: { sampleEveryMs?: number } = {}): void {
    try {
      const postgres = new ProcessGroup(() => pidsMatching(` ${this.database} `));
      this.run = {
        at: performance.now(),
        machine: machineTicks(),
        api: new ProcessGroup(this.apiPids),
        load: this.loadPid ? processTicks(this.loadPid) : 0,
        postgres,
        redis: new ProcessGroup(() => pidsMatching('redis-server')),
        timer: options.sampleEveryMs
          ? setInterval(() => postgres.sample(), options.sampleEveryMs)
          : undefined,
        peakRss: this.apiRss(),
        rssTimer: setInterval(() => {
          if (this.run) this.run.peakRss = Math.max(this.run.peakRss, this.apiRss());
        }, 250),
      };
    } catch {
      this.run = undefined;
    }
  }

  private apiRss(): number {
    return this.apiPids().reduce((sum, pid) => sum + processRssBytes(pid), 0);
  }

  stop(): CpuBreakdown | null {
    const r = this.run;
    if (r) r.peakRss = Math.max(r.peakRss, this.apiRss());
    this.run = undefined;
    if (!r) return null;
    clearInterval(r.timer);
    clearInterval(r.rssTimer);
    const seconds = (performance.now() - r.at) / 1000;
    const cores = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / seconds) * 100) / 100;
    const now = machineTicks();
    const apiTicks = r.api.ticks();
    const split = {
      machine: cores(now.busy - r.machine.busy),
      api: cores(apiTicks),
      load: cores(this.loadPid ? processTicks(this.loadPid) - r.load : 0),
      postgres: cores(r.postgres.ticks()),
      redis: cores(r.redis.ticks()),
      irq: cores(now.irq - r.machine.irq),
    };
    const known = split.api + split.load + split.postgres + split.redis + split.irq;
    return {
      ...split,
      apiCpuSeconds: apiTicks / TICKS_PER_SECOND,
      seconds: Math.round(seconds * 100) / 100,
      apiPeakRssMb: r.peakRss ? Math.round(r.peakRss / 2 ** 20) : null,
      other: Math.max(0, Math.round((split.machine - known) * 100) / 100),
    };
  }
}

/** Cores in use on the machine over `ms` (to notice other work before measuring). */
export async function machineBusy(ms: number): Promise<number | null> {
  try {
    const before = machineTicks().busy;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return Math.round(((machineTicks().busy - before) / TICKS_PER_SECOND / (ms / 1000)) * 100) / 100;
  } catch {
    return null;
  }
}
