/**
 * A small seeded pseudo-random source (mulberry32, seeded through splitmix32), so a seed gives the
 * same plan on any machine and Node version. Simulation only: never for secrets or ids.
 */
export class SeededRandom {
  private state: number;

  /** `stream` separates independent sequences drawn from one seed (drops, duplicates, reordering). */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError('seed must be a non-negative integer');
    const low = seed % 0x1_0000_0000;
    const high = Math.floor(seed / 0x1_0000_0000);
    this.state = splitmix32(splitmix32(splitmix32(low) ^ high) ^ Math.imul(stream + 1, 0x9e3779b1));
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** `count` distinct integers of [0, size), ascending. */
  sample(size: number, count: number): number[] {
    if (count > size) throw new RangeError('cannot sample more items than there are');
    const all = Array.from({ length: size }, (_, i) => i);
    // A partial Fisher–Yates: the first `count` slots end up a uniform sample.
    for (let i = 0; i < count; i++) {
      const j = i + this.int(size - i);
      [all[i], all[j]] = [all[j], all[i]];
    }
    return all.slice(0, count).sort((a, b) => a - b);
  }
}

function splitmix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
