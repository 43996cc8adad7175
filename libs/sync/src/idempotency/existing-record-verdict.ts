/** A key already claimed by this client, as found when a new claim did not win. */
export interface ExistingRecord {
  fingerprint: Buffer;
  status: 'running' | 'completed';
}

/** `reused`: 422, `in-use`: 409 (retry shortly), `replay`: answer with the stored response. */
export type ExistingRecordVerdict = 'reused' | 'in-use' | 'replay';

/**
 * What a request gets when its key is already taken. Another request under the same key is refused
 * whatever the state of the first one, so a client bug is reported at once rather than after it
 * finished; the same request waits for the first execution (409) or gets its answer replayed.
 */
export function existingRecordVerdict(record: ExistingRecord, fingerprint: Buffer): ExistingRecordVerdict {
  if (!record.fingerprint.equals(fingerprint)) return 'reused';
  return record.status === 'running' ? 'in-use' : 'replay';
}
