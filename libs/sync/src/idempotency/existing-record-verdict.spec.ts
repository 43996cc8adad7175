import { existingRecordVerdict, type ExistingRecord } from './existing-record-verdict';

describe('existingRecordVerdict', () => {
  const same = Buffer.alloc(32, 1);
  const other = Buffer.alloc(32, 2);

  it.each<[string, ExistingRecord, Buffer, string]>([
    [
      'the same request after it completed is replayed',
      { fingerprint: same, status: 'completed' },
      same,
      'replay',
    ],
    [
      'the same request while it runs is told to retry',
      { fingerprint: same, status: 'running' },
      same,
      'in-use',
    ],
    [
      'another request after completion is refused',
      { fingerprint: same, status: 'completed' },
      other,
      'reused',
    ],
    [
      'another request while the first runs is refused',
      { fingerprint: same, status: 'running' },
      other,
      'reused',
    ],
  ])('%s', (_case, record, fingerprint, verdict) => {
    expect(existingRecordVerdict(record, fingerprint)).toBe(verdict);
  });
});
