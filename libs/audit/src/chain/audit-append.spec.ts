import { chainHash, GENESIS_HASH } from './audit-chain';
import { appendValues, chainEvents, textArrayLiteral, type AppendableEvent } from './audit-append';

describe('audit append encoding', () => {
  it.each([
    [null, null],
    [[], '{}'],
    [['mbr_1'], '{"mbr_1"}'],
    [['NULL', ''], '{"NULL",""}'],
    [[' g ', '{a,b}'], '{" g ","{a,b}"}'],
    [['a"b', 'c\\d'], '{"a\\"b","c\\\\d"}'],
  ])('writes %j as the array literal %j', (values, literal) => {
    expect(textArrayLiteral(values)).toBe(literal);
  });

  it('chains events after the head with consecutive numbers and hashes over the previous one', () => {
    const occurredAt = new Date('2026-11-23T10:00:00.123Z');
    const events: AppendableEvent[] = [
      { actorType: 'system', action: 'a', outcome: 'success', occurredAt, resourceIds: ['x'] },
      { actorType: 'system', action: 'b', outcome: 'denied', occurredAt },
    ];
    const sut = chainEvents({ seq: 41, hash: GENESIS_HASH }, events, () => occurredAt);
    expect(sut.rows.map((r) => r.seq)).toEqual([42, 43]);
    expect(sut.rows[0].hash.equals(chainHash(GENESIS_HASH, { ...sut.rows[0] }))).toBe(true);
    expect(sut.rows[1].hash.equals(chainHash(sut.rows[0].hash, { ...sut.rows[1] }))).toBe(true);
    expect(sut.head).toEqual({ seq: 43, hash: sut.rows[1].hash });
    expect(sut.rows[1]).toMatchObject({
      resourceIds: null,
      categories: null,
      statusCode: null,
      requestId: null,
    });
  });

  it('binds one array per column and the head it moves from and to', () => {
    const head = { seq: 0, hash: GENESIS_HASH };
    const chained = chainEvents(
      head,
      [{ actorType: 'system', action: 'a', outcome: 'success' }],
      () => new Date(0),
    );
    const values = appendValues(chained.rows, head, chained.head);
    expect(values).toHaveLength(24);
    expect(values.slice(0, 20).every(Array.isArray)).toBe(true);
    expect(values.slice(20)).toEqual([0, GENESIS_HASH, 1, chained.head.hash]);
  });
});
