// Everything a request's admission asks of Redis, in one script call (one round trip): the rate-limit
// counters in order and, between them, the access-token deny list. The first refusal ends the script,
// so a later counter is never spent by a request an earlier step refused.

/** A rate-limit counter: the keys and numbers @nest-lab/throttler-storage-redis 1.2.0 used. */
export interface CounterStep {
  kind: 'counter';
  hitKey: string;
  blockKey: string;
  limit: number;
  ttlMs: number;
  blockMs: number;
}

/** The deny list: the request is refused when this key exists. */
export interface DenyListStep {
  kind: 'deny_list';
  key: string;
}

export type AdmissionStep = CounterStep | DenyListStep;

/** What a counter reports, in the throttler storage's units (durations in whole seconds, rounded up). */
export interface CounterRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

export interface CounterOutcome {
  step: CounterStep;
  record: CounterRecord;
}

export interface DenyListOutcome {
  step: DenyListStep;
  denied: boolean;
}

/** The outcome of each step that ran, in order; steps after a refusal did not run. */
export type StepOutcome = CounterOutcome | DenyListOutcome;

/**
 * KEYS: per step, a counter's hit and block keys, or the deny-list key. ARGV[1]: the steps, one letter
 * each ('c' counter, 'd' deny list), then per counter its ttl (ms), limit and block duration (ms).
 * Replies per step run: a counter's hits, ms to expire, blocked (0/1), ms to block expiry; the deny
 * list's 0/1. The counter body is the throttler storage's own script, unchanged, so counters written
 * by either agree (same keys, same window, same block).
 */
export const ADMISSION_SCRIPT = `
local steps = ARGV[1]
local reply = {}
local k, a = 1, 2
for i = 1, #steps do
  if string.sub(steps, i, i) == 'd' then
    local denied = redis.call('EXISTS', KEYS[k])
    reply[#reply + 1] = denied
    if denied == 1 then return reply end
    k = k + 1
  else
    local hitKey, blockKey = KEYS[k], KEYS[k + 1]
    local ttl, limit, blockDuration = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
    local totalHits = redis.call('INCR', hitKey)
    local timeToExpire = redis.call('PTTL', hitKey)
    if timeToExpire <= 0 then
      redis.call('PEXPIRE', hitKey, ttl)
      timeToExpire = ttl
    end
    local isBlocked = redis.call('GET', blockKey)
    local timeToBlockExpire = 0
    if isBlocked then
      timeToBlockExpire = redis.call('PTTL', blockKey)
    elseif totalHits > limit then
      redis.call('SET', blockKey, 1, 'PX', blockDuration)
      isBlocked = '1'
      timeToBlockExpire = blockDuration
    end
    if isBlocked and timeToBlockExpire <= 0 then
      redis.call('DEL', blockKey)
      redis.call('SET', hitKey, 1, 'PX', ttl)
      totalHits = 1
      timeToExpire = ttl
      isBlocked = false
    end
    reply[#reply + 1] = totalHits
    reply[#reply + 1] = timeToExpire
    reply[#reply + 1] = isBlocked and 1 or 0
    reply[#reply + 1] = timeToBlockExpire
    if isBlocked then return reply end
    k = k + 2
    a = a + 3
  end
end
return reply
`;

/** The script's KEYS and ARGV for these steps. */
export function admissionArguments(steps: readonly AdmissionStep[]): {
  keys: string[];
  args: Array<string | number>;
} {
  const keys: string[] = [];
  const args: Array<string | number> = [steps.map((s) => (s.kind === 'counter' ? 'c' : 'd')).join('')];
  for (const step of steps) {
    if (step.kind === 'deny_list') {
      keys.push(step.key);
    } else {
      keys.push(step.hitKey, step.blockKey);
      args.push(step.ttlMs, step.limit, step.blockMs);
    }
  }
  return { keys, args };
}

/** Reads the script's flat reply back into one outcome per step that ran. */
export function readAdmissionReply(steps: readonly AdmissionStep[], reply: unknown): StepOutcome[] {
  if (!Array.isArray(reply) || !reply.every((n) => typeof n === 'number')) {
    throw new TypeError('admission script: expected an array of integers');
  }
  const numbers = reply;
  const outcomes: StepOutcome[] = [];
  let at = 0;
  for (const step of steps) {
    if (at >= numbers.length) break;
    if (step.kind === 'deny_list') {
      outcomes.push({ step, denied: numbers[at] === 1 });
      at += 1;
    } else {
      const [totalHits, msToExpire, blocked, msToBlockExpire] = numbers.slice(at, at + 4);
      if (msToBlockExpire === undefined) throw new TypeError('admission script: truncated counter reply');
      outcomes.push({
        step,
        record: {
          totalHits,
          timeToExpire: Math.ceil(msToExpire / 1000),
          isBlocked: blocked === 1,
          timeToBlockExpire: Math.ceil(msToBlockExpire / 1000),
        },
      });
      at += 4;
    }
  }
  if (at !== numbers.length) throw new TypeError('admission script: reply longer than its steps');
  return outcomes;
}
