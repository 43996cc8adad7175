import { existsSync } from 'node:fs';
import type { AppConfig } from '@app/common';
import { UnwrapFailed } from '@app/crypto';
import { ensureAuditSigningKey } from './audit-signing-key';
import { ensureDevCertificate } from './dev-tls';
import { ensureLocalKeyFile } from './local-key-file';

/** A file the install needs is missing where the CLI must not make it (production). */
export class SetupRequired extends Error {}

/**
 * The files a fresh install needs: a dev TLS certificate, the local key-encryption key and the
 * audit checkpoint signing key. Made on first use outside production (by `npm start` and by every
 * command that opens the database), refused in production, which mounts its own. A command never
 * invents a key-encryption key for a database that already holds secrets (`databaseHoldsSecrets`).
 */
export async function ensureInstallFiles(
  config: AppConfig,
  say: (line: string) => void,
  options: { databaseHoldsSecrets?: boolean } = {},
): Promise<void> {
  const production = config.env === 'production';
  if (!existsSync(config.tls.certFile) || !existsSync(config.tls.keyFile)) {
    if (production)
      throw new SetupRequired(
        'TLS_CERT_FILE / TLS_KEY_FILE do not exist; production needs a real certificate.',
      );
    await ensureDevCertificate(config.tls.certFile, config.tls.keyFile);
    say(`• generated a self-signed dev TLS certificate in ${config.tls.certFile}`);
  }
  if (config.keys.provider === 'local' && !existsSync(config.keys.localKekFile)) {
    if (production)
      throw new SetupRequired(
        'LOCAL_KEK_FILE does not exist; production must mount its key file (or use a KMS).',
      );
    // A new key could not unwrap what the database holds, and what it wrapped the service could not read.
    if (options.databaseHoldsSecrets)
      throw new SetupRequired(
        `No key-encryption key at ${config.keys.localKekFile}, but the database at DATABASE_URL already holds secrets wrapped by one: set LOCAL_KEK_FILE (or DATA_DIR) as the running service has it.`,
      );
    await ensureLocalKeyFile(config.keys.localKekFile);
    say(`• generated a local key-encryption key file (mode 0600) in ${config.keys.localKekFile}`);
  }
  if (!existsSync(config.audit.signingKeyFile)) {
    if (production)
      throw new SetupRequired(
        'AUDIT_SIGNING_KEY_FILE does not exist; production must mount the checkpoint signing key.',
      );
    await ensureAuditSigningKey(config.audit.signingKeyFile);
    say(
      `• generated the audit checkpoint signing key (Ed25519, mode 0600) in ${config.audit.signingKeyFile}`,
    );
  }
}

/** A database whose secrets were wrapped by another key-encryption key is the one boot failure a newcomer meets. */
export function explainBootFailure(error: unknown): never {
  if (error instanceof UnwrapFailed) {
    throw new SetupRequired(`The database at DATABASE_URL holds secrets wrapped by a different key-encryption key than LOCAL_KEK_FILE.
Use the key file this database was created with, or point DATABASE_URL at another database
(in development: drop the old one, e.g. \`dropdb member_sync\`, and start again).`);
  }
  throw error;
}
