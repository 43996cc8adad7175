import { parseSyncOptions } from './sync-options';

describe('parseSyncOptions', () => {
  it('runs issue 10 sizes by default: 10,000 members, 32 connections, 15 s, the 1,000 / 10,000 scenario', () => {
    expect(parseSyncOptions([])).toMatchObject({
      members: 10_000,
      connections: 32,
      seconds: 15,
      warmupSeconds: 3,
      waitQuietSeconds: 120,
      profile: false,
      convergence: { members: 1000, changes: 10_000, simConcurrency: 4 },
    });
  });

  it('makes --quick a small smoke run that explicit options still override', () => {
    expect(parseSyncOptions(['--quick'])).toMatchObject({
      members: 1000,
      seconds: 3,
      waitQuietSeconds: 0,
      convergence: { members: 100, changes: 500 },
    });
    expect(parseSyncOptions(['--quick', '--members', '4000']).members).toBe(4000);
  });

  it('skips the convergence scenario and turns on the profile when asked', () => {
    const options = parseSyncOptions(['--skip-convergence', '--profile', '--connections', '8']);
    expect(options).toMatchObject({ convergence: null, profile: true, connections: 8 });
  });

  it.each([[['--members', 'many']], [['--connections', '0']], [['--seconds']], [['--duration', '15']]])(
    'refuses %p',
    (argv) => {
      expect(() => parseSyncOptions(argv)).toThrow(/usage: npm run bench -- sync/);
    },
  );
});
