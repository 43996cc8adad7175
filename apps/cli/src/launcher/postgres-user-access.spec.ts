import {
  firstFolderClosedTo,
  foldersDownTo,
  type FolderOwnership,
  type UnixUser,
} from './postgres-user-access';

const ROOT = 0;
const POSTGRES: UnixUser = { uid: 999, gids: [999] };
const open = (uid = ROOT, gid = ROOT): FolderOwnership => ({ uid, gid, mode: 0o40755 });
const closed = (uid = ROOT, gid = ROOT): FolderOwnership => ({ uid, gid, mode: 0o40700 });
const groupOnly = (gid: number): FolderOwnership => ({ uid: ROOT, gid, mode: 0o40750 });

describe('foldersDownTo', () => {
  it('lists every folder from / to the path, outermost first', () => {
    expect(foldersDownTo('/tmp/a/b')).toEqual(['/', '/tmp', '/tmp/a', '/tmp/a/b']);
  });
});

describe('firstFolderClosedTo', () => {
  const cases: Array<[string, Record<string, FolderOwnership | null>, string | null]> = [
    ['every folder open', { '/': open(), '/tmp': open(), '/tmp/x': open() }, null],
    ['a 0700 folder made by mktemp -d', { '/': open(), '/tmp': open(), '/tmp/x': closed() }, '/tmp/x'],
    ['the outermost closed folder is named', { '/': open(), '/tmp': closed(), '/tmp/x': closed() }, '/tmp'],
    ['a 0700 folder postgres owns', { '/': open(), '/tmp': open(), '/tmp/x': closed(999, 999) }, null],
    ['a 0750 folder of the postgres group', { '/': open(), '/tmp': open(), '/tmp/x': groupOnly(999) }, null],
    ['a 0750 folder of another group', { '/': open(), '/tmp': open(), '/tmp/x': groupOnly(5) }, '/tmp/x'],
    ['a folder not created yet ends the walk', { '/': open(), '/tmp': open(), '/tmp/x': null }, null],
  ];
  it.each(cases)('%s', (_name, tree, expected) => {
    expect(firstFolderClosedTo('/tmp/x', POSTGRES, (folder) => tree[folder] ?? null)).toBe(expected);
  });

  it('checks only the other-users bit when the postgres user does not exist yet', () => {
    const tree: Record<string, FolderOwnership> = { '/': open(), '/srv': groupOnly(999) };
    expect(firstFolderClosedTo('/srv', { uid: null, gids: [] }, (folder) => tree[folder])).toBe('/srv');
  });
});
