import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Creates the Ed25519 key that signs audit checkpoints (PKCS#8 PEM, mode 0600) on first run. */
export async function ensureAuditSigningKey(path: string): Promise<boolean> {
  if (existsSync(path)) return false;
  const { privateKey } = generateKeyPairSync('ed25519');
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  return true;
}
