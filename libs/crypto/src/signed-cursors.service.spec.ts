import { randomBytes } from 'node:crypto';
import { mock } from 'jest-mock-extended';
import { SignedCursors } from './signed-cursors.service';
import { SystemSecretsService } from './system-secrets.service';

describe('SignedCursors', () => {
  const secret = randomBytes(32);
  const secrets = mock<SystemSecretsService>();
  secrets.get.mockResolvedValue(secret);
  const sut = new SignedCursors(secrets);

  it('returns the state it signed', async () => {
    const state = { u: '2026-11-30T08:00:00.000Z', i: 'mbr_1', p: 'prt_A' };
    expect(await sut.verify(await sut.sign(state))).toEqual(state);
  });

  it.each([
    ['a changed signature', (c: string) => `${c.slice(0, -3)}abc`],
    [
      'a changed payload',
      (c: string) => c.replace(/\.[^.]+\./, `.${Buffer.from('{"p":"prt_B"}').toString('base64url')}.`),
    ],
    ['an unsigned token', (c: string) => `${c.split('.').slice(0, 2).join('.')}.`],
    ['garbage', () => 'not-a-cursor'],
  ])('refuses %s', async (_name, tamper) => {
    expect(await sut.verify(tamper(await sut.sign({ p: 'prt_A' })))).toBeNull();
  });

  it('refuses a cursor signed with another secret', async () => {
    const other = mock<SystemSecretsService>();
    other.get.mockResolvedValue(randomBytes(32));
    expect(await sut.verify(await new SignedCursors(other).sign({ p: 'prt_A' }))).toBeNull();
  });
});
