import { SeededRandom } from './seeded-random';

export interface DeliveryPlanOptions {
  seed: number;
  /** Share of events whose webhook is never sent (the change feed still has them). */
  dropRate: number;
  /** Share of events whose webhook is sent twice (same webhook-id, same bytes). */
  duplicateRate: number;
  /** Shuffle the sends within small windows, so some arrive before changes committed earlier. */
  reorder: boolean;
  reorderWindow?: number;
}

/** One webhook request: the event (its index in commit order) and whether it repeats an earlier send. */
export interface PlannedSend {
  event: number;
  duplicate: boolean;
}

export interface DeliveryPlan {
  sends: PlannedSend[];
  /** Events never sent, ascending. */
  dropped: number[];
  /** Events sent twice, ascending. */
  duplicated: number[];
}

export const DEFAULT_REORDER_WINDOW = 4;

// Independent streams, so changing one rate does not reshuffle the others' choices.
const DROP_STREAM = 1;
const DUPLICATE_STREAM = 2;
const REORDER_STREAM = 3;

/**
 * Which of `eventCount` events (in commit order) are sent, dropped, duplicated and in what order.
 * Counts are exact (`round(count × rate)`), the choice is uniform and the same for the same seed.
 * A duplicate follows its original; reordering shuffles windows of the send sequence and always
 * changes the order of at least one pair when two different events are sent.
 */
export function planDeliveries(eventCount: number, options: DeliveryPlanOptions): DeliveryPlan {
  if (!Number.isSafeInteger(eventCount) || eventCount < 0) throw new RangeError('eventCount must be ≥ 0');
  assertRate(options.dropRate, 'dropRate');
  assertRate(options.duplicateRate, 'duplicateRate');
  const window = options.reorderWindow ?? DEFAULT_REORDER_WINDOW;
  if (!Number.isSafeInteger(window) || window < 2) throw new RangeError('reorderWindow must be ≥ 2');

  const dropped = new SeededRandom(options.seed, DROP_STREAM).sample(
    eventCount,
    Math.round(eventCount * options.dropRate),
  );
  const droppedSet = new Set(dropped);
  const kept = Array.from({ length: eventCount }, (_, i) => i).filter((i) => !droppedSet.has(i));
  const duplicateCount = Math.min(kept.length, Math.round(eventCount * options.duplicateRate));
  const duplicated = new SeededRandom(options.seed, DUPLICATE_STREAM)
    .sample(kept.length, duplicateCount)
    .map((i) => kept[i]);
  const duplicatedSet = new Set(duplicated);

  const sends: PlannedSend[] = kept.flatMap((event) =>
    duplicatedSet.has(event)
      ? [
          { event, duplicate: false },
          { event, duplicate: true },
        ]
      : [{ event, duplicate: false }],
  );
  if (options.reorder) reorderInWindows(sends, window, new SeededRandom(options.seed, REORDER_STREAM));
  return { sends, dropped, duplicated };
}

function reorderInWindows(sends: PlannedSend[], window: number, random: SeededRandom): void {
  const before = sends.map((s) => s.event);
  for (let start = 0; start < sends.length; start += window) {
    const slice = random.shuffle(sends.slice(start, start + window));
    sends.splice(start, slice.length, ...slice);
  }
  markDuplicates(sends);
  // A shuffle may leave every window as it was (likely for short runs): swap one pair so
  // `reorder: true` always reorders something.
  if (sends.every((s, i) => s.event === before[i])) {
    const i = sends.findIndex((s, k) => k + 1 < sends.length && s.event !== sends[k + 1].event);
    if (i >= 0) {
      [sends[i], sends[i + 1]] = [sends[i + 1], sends[i]];
      markDuplicates(sends);
    }
  }
}

/** Whichever copy of an event goes first is the original; a later one is the duplicate. */
function markDuplicates(sends: PlannedSend[]): void {
  const seen = new Set<number>();
  for (const send of sends) {
    send.duplicate = seen.has(send.event);
    seen.add(send.event);
  }
}

function assertRate(rate: number, name: string): void {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${name} must be between 0 and 1`);
}
