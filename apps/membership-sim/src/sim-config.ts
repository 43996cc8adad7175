import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '@app/common';

/** Where the sim pushes its webhooks: our API, a sync:write client and the source's signing secret. */
export interface SimTarget {
  /** Our API's origin, e.g. https://localhost:8443 (paths are added). */
  baseUrl: string;
  organizationId: string;
  clientId: string;
  clientSecret: string;
  /** The inbound signing secret our API issued for this source (`whsec_…`). */
  webhookSecret: string;
  /** Extra CA certificate(s) to trust for our API (its self-signed dev certificate). */
  caPem?: string;
}

export interface SimConfig {
  host: string;
  port: number;
  databaseUrl: string;
  tls: { certFile: string; keyFile: string; explicit: boolean };
  /** Bearer token of the change feed; unset = the feed refuses every reader until one is set. */
  feedToken?: string;
  /** Bearer token of the control API (/sim/*); unset = open on loopback only. */
  controlToken?: string;
  /** Secrets that sign the deliveries our API sends back (several during a rotation). */
  deliverySecrets: string[];
  target?: SimTarget;
}

export const DEFAULT_SIM_PORT = 8444;
export const DEFAULT_SIM_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/member_sim';
const TARGET_VARIABLES = [
  'SIM_TARGET_URL',
  'SIM_TARGET_ORGANIZATION_ID',
  'SIM_TARGET_CLIENT_ID',
  'SIM_TARGET_CLIENT_SECRET',
  'SIM_TARGET_WEBHOOK_SECRET',
] as const;

/** The sim's settings from the environment, checked once at boot (the one reader of the variables). */
export function loadSimConfig(env: Record<string, string | undefined>): SimConfig {
  const port = Number(env.SIM_PORT ?? DEFAULT_SIM_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError('SIM_PORT must be a port number');
  const certFile = env.SIM_TLS_CERT_FILE ?? env.TLS_CERT_FILE;
  const keyFile = env.SIM_TLS_KEY_FILE ?? env.TLS_KEY_FILE;
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new ConfigError('set both SIM_TLS_CERT_FILE and SIM_TLS_KEY_FILE, or neither');
  const dataDir = env.DATA_DIR ?? '.data';
  const feedToken = nonEmpty(env.SIM_FEED_TOKEN);
  if (feedToken !== undefined && feedToken.length < 16)
    throw new ConfigError('SIM_FEED_TOKEN must be ≥ 16 characters');
  return {
    host: env.SIM_HOST ?? '127.0.0.1',
    port,
    databaseUrl: env.SIM_DATABASE_URL ?? DEFAULT_SIM_DATABASE_URL,
    // The launcher's dev certificate (npm start makes it) unless told otherwise.
    tls: {
      certFile: resolve(certFile ?? `${dataDir}/tls/dev-cert.pem`),
      keyFile: resolve(keyFile ?? `${dataDir}/tls/dev-key.pem`),
      explicit: certFile !== undefined,
    },
    feedToken,
    controlToken: nonEmpty(env.SIM_CONTROL_TOKEN),
    deliverySecrets: (env.SIM_DELIVERY_SECRETS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
    target: targetFrom(env),
  };
}

function targetFrom(env: Record<string, string | undefined>): SimTarget | undefined {
  const given = TARGET_VARIABLES.filter((name) => nonEmpty(env[name]) !== undefined);
  if (given.length === 0) return undefined;
  const missing = TARGET_VARIABLES.find((name) => nonEmpty(env[name]) === undefined);
  if (missing) throw new ConfigError(`${missing} is required when any SIM_TARGET_* variable is set`);
  const caFile = nonEmpty(env.SIM_TARGET_CA_FILE);
  return {
    baseUrl: env.SIM_TARGET_URL as string,
    organizationId: env.SIM_TARGET_ORGANIZATION_ID as string,
    clientId: env.SIM_TARGET_CLIENT_ID as string,
    clientSecret: env.SIM_TARGET_CLIENT_SECRET as string,
    webhookSecret: env.SIM_TARGET_WEBHOOK_SECRET as string,
    ...(caFile ? { caPem: readFileSync(caFile, 'utf8') } : {}),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
