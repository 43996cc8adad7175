import { randomBytes } from 'node:crypto';
import { mock } from 'jest-mock-extended';
import { SignedCursors, SystemSecretsService } from '@app/crypto';
import {
  changeFeedCursorState,
  changeFeedPositionOf,
  FEED_START,
  type ChangeFeedPosition,
} from './member-change-cursor';

describe('change feed cursor', () => {
  const position: ChangeFeedPosition = { tx: '18446744073709551615', seq: '9007199254740993' };

  it('decodes the position it encoded, digits intact beyond a JS number', () => {
    expect(changeFeedPositionOf(changeFeedCursorState(position, 'prt_A'), 'prt_A')).toEqual(position);
  });

  it('encodes the feed start as position zero', () => {
    expect(changeFeedCursorState(FEED_START, 'prt_A')).toEqual({ k: 'changes', t: '0', s: '0', p: 'prt_A' });
  });

  it.each<[string, unknown]>([
    ['another partner', { k: 'changes', t: '5', s: '7', p: 'prt_B' }],
    ['a member-list cursor', { u: '2026-11-30T08:00:00.000Z', i: 'mbr_1', o: null, s: null, p: 'prt_A' }],
    ['no kind', { t: '5', s: '7', p: 'prt_A' }],
    ['a numeric tx', { k: 'changes', t: 5, s: '7', p: 'prt_A' }],
    ['a negative seq', { k: 'changes', t: '5', s: '-7', p: 'prt_A' }],
    ['a leading zero', { k: 'changes', t: '05', s: '7', p: 'prt_A' }],
    ['SQL in the tx', { k: 'changes', t: "5'; drop table member_change; --", s: '7', p: 'prt_A' }],
    ['a tx beyond 64 bits', { k: 'changes', t: '18446744073709551616', s: '7', p: 'prt_A' }],
    ['a 21-digit seq', { k: 'changes', t: '5', s: '100000000000000000000', p: 'prt_A' }],
    ['an empty seq', { k: 'changes', t: '5', s: '', p: 'prt_A' }],
    ['null', null],
    ['a string', 'changes'],
  ])('refuses %s', (_name, state) => {
    expect(changeFeedPositionOf(state, 'prt_A')).toBeNull();
  });

  describe('signed', () => {
    const secrets = mock<SystemSecretsService>();
    secrets.get.mockResolvedValue(randomBytes(32));
    const sut = new SignedCursors(secrets);

    it('round-trips through a signed cursor', async () => {
      const cursor = await sut.sign(changeFeedCursorState(position, 'prt_A'));
      expect(changeFeedPositionOf(await sut.verify(cursor), 'prt_A')).toEqual(position);
    });

    it('refuses a cursor whose position was edited', async () => {
      const cursor = await sut.sign(changeFeedCursorState(position, 'prt_A'));
      const [header, , signature] = cursor.split('.');
      const forged = Buffer.from(JSON.stringify(changeFeedCursorState(FEED_START, 'prt_A'))).toString(
        'base64url',
      );
      expect(changeFeedPositionOf(await sut.verify(`${header}.${forged}.${signature}`), 'prt_A')).toBeNull();
    });
  });
});
