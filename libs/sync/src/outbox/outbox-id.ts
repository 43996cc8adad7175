import { randomBytes } from 'node:crypto';

// Crockford base32, as every id of the service (libs/common ids).
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10; // 50 bits: milliseconds since 1970 fit in 48
const RANDOM_CHARS = 16; // 80 bits
const RANDOM_MAX = (1n << 80n) - 1n;

export const OUTBOX_ID_PREFIX = 'obx_';
const OUTBOX_ID_PATTERN = /^obx_[0-9A-HJKMNP-TV-Z]{26}$/;

function encode(value: bigint, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i += 1) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/** An outbox id from its millisecond and its 80 random bits: ULID's layout, so ids sort by time. */
export function outboxIdOf(ms: number, random: bigint): string {
  return `${OUTBOX_ID_PREFIX}${encode(BigInt(ms), TIME_CHARS)}${encode(random, RANDOM_CHARS)}`;
}

export function isOutboxId(value: unknown): value is string {
  return typeof value === 'string' && OUTBOX_ID_PATTERN.test(value);
}

/**
 * Outbox ids that only ever increase within a process (ULID's monotonic mode): in the same
 * millisecond, or after the clock stepped back, the next id is the last one plus one. So a
 * member's later change always sorts after its earlier one, and the relay sends them in order.
 * Opaque: a time and random bits, nothing derived from the change.
 */
export class MonotonicOutboxIds {
  private lastMs = -1;
  private lastRandom = 0n;

  constructor(
    private readonly randomBits: () => bigint = () => BigInt(`0x${randomBytes(10).toString('hex')}`),
  ) {}

  next(nowMs: number): string {
    if (nowMs > this.lastMs) {
      this.lastMs = nowMs;
      this.lastRandom = this.randomBits() & RANDOM_MAX;
    } else if (this.lastRandom < RANDOM_MAX) {
      this.lastRandom += 1n;
    } else {
      // 2^80 ids in one millisecond cannot happen; borrowing the next millisecond keeps the order if it did.
      this.lastMs += 1;
      this.lastRandom = 0n;
    }
    return outboxIdOf(this.lastMs, this.lastRandom);
  }
}
