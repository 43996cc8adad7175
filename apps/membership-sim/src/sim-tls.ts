import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '@app/common';
import { generate } from 'selfsigned';
import type { SimConfig } from './sim-config';

export interface SimCertificate {
  cert: string;
  key: string;
  /** True when made in memory for this process (no dev certificate on disk yet). */
  ephemeral: boolean;
}

/**
 * The configured certificate files, else the launcher's dev certificate (`npm start` writes it to
 * DATA_DIR/tls), else a throwaway self-signed localhost certificate held in memory only.
 */
export async function loadSimCertificate(tls: SimConfig['tls']): Promise<SimCertificate> {
  if (existsSync(tls.certFile) && existsSync(tls.keyFile)) {
    return {
      cert: readFileSync(tls.certFile, 'utf8'),
      key: readFileSync(tls.keyFile, 'utf8'),
      ephemeral: false,
    };
  }
  if (tls.explicit) throw new ConfigError('SIM_TLS_CERT_FILE / SIM_TLS_KEY_FILE do not exist');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 30 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private, ephemeral: true };
}
