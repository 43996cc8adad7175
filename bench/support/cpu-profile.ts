import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Share of sampled time by where the code lives (package, lib, Node internals, GC, idle). */
  byOrigin: Array<{ origin: string; share: number }>;
  /** The functions with the most self time. */
  topFunctions: Array<{ fn: string; share: number }>;
}

/** Where a frame's code lives: `node_modules/<package>`, `libs/<lib>`, `apps/<app>`, `node:…`, or a VM bucket. */
function originOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/(libs|apps)\/([^/]+)\//.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  if (url.startsWith('node:'))
    return `node:${url.slice(5).split('/')[url.startsWith('node:internal') ? 1 : 0]}`;
  return url.split('/').slice(-2).join('/');
}

/** Samples this process's CPU between start() and stop(); the profile is written for Chrome DevTools. */
export class CpuProfiler {
  private readonly session = new Session();

  async start(): Promise<void> {
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 200 });
    await this.session.post('Profiler.start');
  }

  async stop(file: string): Promise<ProfileSummary> {
    const { profile } = (await this.session.post('Profiler.stop')) as { profile: Profile };
    this.session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
    const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
    const selfTime = new Map<number, number>();
    profile.samples.forEach((id, i) =>
      selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
    );
    const total = [...selfTime.values()].reduce((a, b) => a + b, 0) || 1;
    const origins = new Map<string, number>();
    const functions = new Map<string, number>();
    for (const [id, time] of selfTime) {
      const { functionName, url, lineNumber } = byNode.get(id)!.callFrame;
      const origin = originOf(url, functionName);
      origins.set(origin, (origins.get(origin) ?? 0) + time);
      const fn = `${functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : ''}`;
      functions.set(fn, (functions.get(fn) ?? 0) + time);
    }
    const top = (m: Map<string, number>, n: number) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([k, v]) => ({ key: k, share: Math.round((v / total) * 1000) / 10 }));
    return {
      file,
      byOrigin: top(origins, 15).map(({ key, share }) => ({ origin: key, share })),
      topFunctions: top(functions, 20).map(({ key, share }) => ({ fn: key, share })),
    };
  }
}
