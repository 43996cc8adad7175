import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface FolderOwnership {
  uid: number;
  gid: number;
  mode: number;
}

/** A Unix user as the kernel sees it for permission checks; `uid` null when it does not exist yet. */
export interface UnixUser {
  uid: number | null;
  gids: number[];
}

/** Every folder from `/` down to `path` itself, outermost first. */
export function foldersDownTo(path: string): string[] {
  const folders: string[] = [];
  for (let folder = resolve(path); ; folder = dirname(folder)) {
    folders.unshift(folder);
    if (dirname(folder) === folder) return folders;
  }
}

/**
 * The first folder on the way to `path` that `user` may not enter (no search bit for it), or null.
 * A folder that does not exist yet ends the walk: whoever creates it decides its mode.
 */
export function firstFolderClosedTo(
  path: string,
  user: UnixUser,
  ownershipOf: (folder: string) => FolderOwnership | null,
): string | null {
  for (const folder of foldersDownTo(path)) {
    const owner = ownershipOf(folder);
    if (!owner) return null;
    const searchBit = user.uid === owner.uid ? 0o100 : user.gids.includes(owner.gid) ? 0o010 : 0o001;
    if ((owner.mode & searchBit) === 0) return folder;
  }
  return null;
}

/** The `postgres` user embedded PostgreSQL runs as under root (it is created on first use if missing). */
export function postgresUser(): UnixUser {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gids = execFileSync('id', ['-G', 'postgres'], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    return { uid, gids };
  } catch {
    return { uid: null, gids: [] };
  }
}

export function ownershipOnDisk(folder: string): FolderOwnership | null {
  try {
    const stat = statSync(folder);
    return { uid: stat.uid, gid: stat.gid, mode: stat.mode };
  } catch {
    return null;
  }
}

/**
 * Run as root, embedded PostgreSQL runs as `postgres`, which must enter every folder down to its
 * binaries and its data; otherwise it dies with EACCES. Returns the one line that says what to do.
 */
export function postgresUserAccessProblem(paths: string[], user = postgresUser()): string | null {
  for (const path of paths) {
    const closed = firstFolderClosedTo(path, user, ownershipOnDisk);
    if (closed) {
      return `Embedded PostgreSQL runs as the user "postgres" (you are root), which cannot enter ${closed}: run \`chmod o+x ${closed}\` (or move the checkout), or set DATABASE_URL to a PostgreSQL you run.`;
    }
  }
  return null;
}
