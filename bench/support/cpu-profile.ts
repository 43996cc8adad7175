import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface Profile {
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
  /** Busy (non-idle) time by component of the request path; shares of busy time add up to 100. */
  byComponent: ComponentShare[];
  /** Sampled busy time, ms. */
  busyMs: number;
}

export interface ComponentShare {
  component: string;
  share: number;
  ms: number;
}

/**
 * The request path's components, each recognised by where a frame's code lives (or a VM bucket).
 * A sample belongs to the first frame, walking from the leaf towards the root, that any of them
 * matches; for one frame the list order decides (helmet before fastify, pino before Nest).
 */
export const COMPONENTS: ReadonlyArray<{ component: string; matches: RegExp }> = [
  { component: 'gc', matches: /^\(garbage collector\)$/ },
  {
    component: 'jwt verification',
    matches: /node_modules\/(jose|passport-jwt|jsonwebtoken|passport)\/|jwt\.strategy/,
  },
  { component: 'member decryption', matches: /member-cipher|field-cipher/ },
  { component: 'members lib', matches: /libs\/members\// },
  { component: 'logging', matches: /node_modules\/[^/]*pino[^/]*\// },
  { component: 'audit', matches: /libs\/audit\// },
  { component: 'rate limiting', matches: /rate-limit/ },
  { component: 'redis', matches: /node_modules\/(ioredis|@ioredis)\// },
  { component: 'db driver', matches: /node_modules\/(@mikro-orm\/[^/]+|knex|pg|pg-[^/]+|postgres-[^/]+)\// },
  { component: 'helmet', matches: /node_modules\/(helmet|@fastify\/helmet)\// },
  {
    component: 'fastify',
    matches:
      /node_modules\/(fastify|@fastify\/[^/]+|find-my-way|fast-json-stringify|avvio|light-my-request)\//,
  },
  { component: 'nest core', matches: /node_modules\/(@nestjs\/[^/]+|rxjs)\// },
  {
    component: 'tls/net',
    matches: /^node:(_tls_|tls|net|internal\/(tls|net|stream_base_commons|js_stream_socket))/,
  },
  { component: 'node http', matches: /^node:(_http_|http|https|internal\/http)/ },
];
export const OTHER = 'other';
const IDLE = '(idle)';

/** The component a frame belongs to (its url, or its name for VM buckets), if any. */
export function componentOfFrame(frame: { functionName: string; url: string }): string | undefined {
  const where = frame.url || frame.functionName;
  return COMPONENTS.find((c) => c.matches.test(where))?.component;
}

/** Busy time by component: each sample classified by its stack, idle samples left out. */
export function summarizeByComponent(profile: Profile): { busyMs: number; byComponent: ComponentShare[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const componentOfNode = new Map<number, string | null>();
  const classify = (id: number): string | null => {
    const known = componentOfNode.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === IDLE && !frame.url) return null;
    let component = componentOfFrame(frame);
    if (!component) {
      const up = parent.get(id);
      component = up === undefined ? OTHER : (classify(up) ?? OTHER);
    }
    componentOfNode.set(id, component);
    return component;
  };
  const time = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const component = classify(id);
    if (component === null) return;
    const delta = profile.timeDeltas[i] ?? 0;
    busy += delta;
    time.set(component, (time.get(component) ?? 0) + delta);
  });
  const byComponent = [...COMPONENTS.map((c) => c.component), OTHER].map((component) => ({
    component,
    share: busy ? Math.round(((time.get(component) ?? 0) / busy) * 1000) / 10 : 0,
    ms: Math.round((time.get(component) ?? 0) / 1000),
  }));
  return { busyMs: Math.round(busy / 1000), byComponent };
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
      ...summarizeByComponent(profile),
      byOrigin: top(origins, 15).map(({ key, share }) => ({ origin: key, share })),
      topFunctions: top(functions, 20).map(({ key, share }) => ({ fn: key, share })),
    };
  }
}
