import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Client } from 'pg';
import request from 'supertest';
import { DATA_CATEGORIES, ManualClock, type PartnerScope } from '@app/common';
import {
  loadSimConfig,
  startMembershipSim,
  type GenerationRun,
  type RunningSim,
} from '../../apps/membership-sim/src';
import {
  adminPost,
  createClient,
  loginAdmin,
  setupPartner,
  sql,
  type AdminSession,
  type PartnerSetup,
} from './identity-fixtures';
import { clientToken } from './member-fixtures';
import { TEST_PG_ADMIN_URL, TEST_TLS_DIR } from './services';
import { startTestApi, type TestApi } from './test-app';

/** The member groups a sim member and ours are compared by, field by field. */
export const SYNC_GROUPS = [
  'identity',
  'governmentId',
  'contact',
  'membership',
  'coverage',
  'dependents',
  'wellness',
  'preferences',
] as const;

/** The membership-sim on 127.0.0.1 over HTTPS (the suite's certificate), its store in `database`. */
export function startTestSim(database: string, feedToken: string): Promise<RunningSim> {
  const pgUrl = new URL(TEST_PG_ADMIN_URL);
  pgUrl.pathname = `/${database}`;
  return startMembershipSim(
    loadSimConfig({
      SIM_PORT: '0',
      SIM_HOST: '127.0.0.1',
      SIM_DATABASE_URL: pgUrl.toString(),
      SIM_TLS_CERT_FILE: join(TEST_TLS_DIR, 'cert.pem'),
      SIM_TLS_KEY_FILE: join(TEST_TLS_DIR, 'key.pem'),
      SIM_FEED_TOKEN: feedToken,
    }),
  );
}

/** Drops the sim's database (startTestSim's), connections and all. */
export async function dropSimDatabase(database: string): Promise<void> {
  const pg = new Client({ connectionString: TEST_PG_ADMIN_URL });
  await pg.connect();
  try {
    await pg.query(`drop database if exists "${database}" with (force)`);
  } finally {
    await pg.end();
  }
}

/** A membership system with every category, its client's token, and the admins who set it up. */
export interface SourcePartner {
  officer: AdminSession;
  security: AdminSession;
  source: PartnerSetup;
  client: { clientId: string; clientSecret?: string };
  /** The membership system's client token (client_secret_basic, `scopes`). */
  token: string;
}

/** Logs in a compliance officer and a security admin, then registers a membership system. */
export async function setupSourcePartner(
  api: TestApi,
  clock: ManualClock,
  scopes: PartnerScope[],
): Promise<SourcePartner> {
  const officer = await loginAdmin(api, clock, 'compliance_officer');
  const security = await loginAdmin(api, clock, 'security_admin');
  const source = await setupPartner(api, officer.accessToken, {
    type: 'membership_system',
    categories: [...DATA_CATEGORIES],
  });
  const client = await createClient(api, security.accessToken, source.partnerId, {
    authMethod: 'client_secret_basic',
    scopes,
  });
  return { officer, security, source, client, token: await clientToken(api, client) };
}

/**
 * Our API (its own database and Redis prefix) and the membership-sim (its own database) wired to
 * each other: a membership_system partner with every category, a sync client, a webhook secret,
 * and the sim targeting our API. No source is registered: suites do that themselves.
 */
export interface SyncScenario {
  api: TestApi;
  sim: RunningSim;
  source: PartnerSetup;
  /** Admin bearer tokens: a security admin (credentials) and a compliance officer (audit). */
  security: string;
  officer: string;
  /** The partner client's token (members:read), for reading members back. */
  partnerToken: string;
  /** The sim's change-feed bearer token. */
  feedToken: string;
  ca: Buffer;
  simCall(method: 'get' | 'put' | 'post', path: string): request.Test;
  admin(method: 'get' | 'post', path: string, token?: string): request.Test;
  generate(body: object): Promise<GenerationRun>;
  /** Every sim member against ours, group by group; answers the mismatching sourceRefs (no values). */
  mismatches(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startSyncScenario(
  options: {
    apiEnv?: Record<string, string>;
    /** A clock for the API (and admin TOTP codes); a suite passes it when its worker shares it. */
    clock?: ManualClock;
  } = {},
): Promise<SyncScenario> {
  const feedToken = `feed-${randomBytes(12).toString('hex')}`;
  const simDatabase = `msync_t_simsync_${randomBytes(5).toString('hex')}`;
  const ca = readFileSync(join(TEST_TLS_DIR, 'cert.pem'));
  // Without options.clock the API runs on the real clock (a worker process shares it); this one
  // only computes TOTP codes.
  const totpClock = options.clock ?? new ManualClock(Date.now());
  // The sim's webhooks and the field-by-field reads are far above the default per-client limits.
  const api = await startTestApi({
    clock: options.clock,
    env: { RATE_LIMIT_CLIENT_PER_MINUTE: '100000', RATE_LIMIT_IP_PER_MINUTE: '100000', ...options.apiEnv },
  });
  let sim: RunningSim | undefined;
  const close = async () => {
    await sim?.close();
    await api.close();
    await dropSimDatabase(simDatabase);
  };
  try {
    const partner = await setupSourcePartner(api, totpClock, ['sync:write', 'members:read']);
    const { source, client, token: partnerToken } = partner;
    const officer = partner.officer.accessToken;
    const security = partner.security.accessToken;
    const secret = await adminPost(
      api,
      security,
      `/api/v1/admin/partners/${source.partnerId}/webhook-secrets`,
      {},
    );
    if (secret.status !== 201) throw new Error(`webhook secret: ${secret.status}`);

    sim = await startTestSim(simDatabase, feedToken);
    const running = sim;
    const simCall = (method: 'get' | 'put' | 'post', path: string) =>
      request(running.url)[method](path).ca(ca);
    const target = await simCall('put', '/sim/target').send({
      baseUrl: api.baseUrl,
      organizationId: source.organizationId,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      webhookSecret: secret.body.secret,
      caPem: ca.toString('utf8'),
    });
    if (target.status !== 204) throw new Error(`sim target: ${target.status}`);

    const generate = async (body: object): Promise<GenerationRun> => {
      const res = await simCall('post', '/sim/generate').send(body);
      if (res.status !== 200) throw new Error(`generate: ${res.status} ${res.text}`);
      return res.body as GenerationRun;
    };

    const mismatches = async (): Promise<string[]> => {
      const ours = new Map(
        (
          await sql<{ id: string; source_ref: string }>(
            api,
            'select id, source_ref from member where source_partner_id = $1',
            [source.partnerId],
          )
        ).map((r) => [r.source_ref, r.id]),
      );
      const wrong: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await simCall('get', `/sim/members?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
        if (page.status !== 200) throw new Error(`sim members: ${page.status}`);
        for (const view of page.body.data as Array<Record<string, unknown>>) {
          const ref = view.sourceRef as string;
          const id = ours.get(ref);
          if (!id) {
            wrong.push(`${ref}: missing`);
            continue;
          }
          const res = await api
            .http()
            .get(`/api/v1/members/${id}`)
            .set('authorization', `Bearer ${partnerToken}`);
          if (res.status !== 200) throw new Error(`member read: ${res.status}`);
          for (const group of SYNC_GROUPS) {
            if (!isDeepStrictEqual(res.body[group] ?? null, view[group] ?? null))
              wrong.push(`${ref}: ${group}`);
          }
        }
        cursor = page.body.nextCursor as string | null;
      } while (cursor);
      return wrong;
    };

    return {
      api,
      sim: running,
      source,
      security,
      officer,
      partnerToken,
      feedToken,
      ca,
      simCall,
      admin: (method, path, token = security) =>
        api.http()[method](path).set('authorization', `Bearer ${token}`),
      generate,
      mismatches,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
