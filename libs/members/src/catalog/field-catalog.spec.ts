import { DATA_CATEGORIES } from '@app/common';
import {
  BLIND_INDEXED_FIELDS,
  EPHI_LOG_KEYS,
  blindIndexColumn,
  encryptedColumn,
  fieldsOf,
  groupName,
  MEMBER_FIELD_NAMES,
  MEMBER_FIELDS,
  normalizeForIndex,
} from './field-catalog';

describe('ePHI field catalog', () => {
  it('assigns every category at least one field and every field one category', () => {
    for (const category of DATA_CATEGORIES) expect(fieldsOf(category).length).toBeGreaterThan(0);
    expect(DATA_CATEGORIES.flatMap(fieldsOf).sort()).toEqual([...MEMBER_FIELD_NAMES].sort());
  });

  it('gives each group unique keys, and a list group exactly one field', () => {
    for (const category of DATA_CATEGORIES) {
      const keys = fieldsOf(category).map((f) => MEMBER_FIELDS[f].jsonKey);
      expect(new Set(keys).size).toBe(keys.length);
      if (keys.includes(null)) expect(keys).toHaveLength(1);
    }
  });

  it('blind-indexes exactly the exact-match lookup fields', () => {
    expect(BLIND_INDEXED_FIELDS.sort()).toEqual(['email', 'externalMemberNumber', 'ssn']);
  });

  it('derives column and group names', () => {
    expect(encryptedColumn('dateOfBirth')).toBe('date_of_birth_enc');
    expect(blindIndexColumn('externalMemberNumber')).toBe('external_member_number_bidx');
    expect(groupName('government_id')).toBe('governmentId');
  });

  it('normalizes values so equal identifiers index equally', () => {
    expect(normalizeForIndex('email', ' Synthetic@Example.TEST ')).toBe('synthetic@example.test');
    expect(normalizeForIndex('ssn', '900 00 0001')).toBe(normalizeForIndex('ssn', '900-00-0001'));
  });

  it('derives the log keys to censor from the catalog: field names, JSON keys and groups', () => {
    expect(EPHI_LOG_KEYS).toEqual(
      expect.arrayContaining([
        'ssn',
        'dateOfBirth',
        'givenName',
        'governmentId',
        'identity',
        'dependents',
        'programs',
      ]),
    );
    expect(EPHI_LOG_KEYS).not.toContain('status');
  });
});
