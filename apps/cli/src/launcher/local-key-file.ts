import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Creates the local key-encryption key file (32 random bytes, base64, mode 0600) on first run.
 * It lives outside the database on purpose: a database dump without it cannot decrypt anything.
 */
export async function ensureLocalKeyFile(path: string): Promise<boolean> {
  if (existsSync(path)) return false;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return true;
}
