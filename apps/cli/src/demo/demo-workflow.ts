import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { faker } from '@faker-js/faker';
import { Client } from 'pg';
import { DATA_CATEGORIES, type AdminRole, type DataCategory } from '@app/common';
import { totpCode } from '@app/identity';
import { clientCredentialsToken, signWebhookBody, type MemberSyncClient } from '@app/sdk';
import { DemoApi, expectProblem, expectStatus, shortType } from './demo-api';
import { closedPort, DemoFailed, eventually } from './demo-processes';

/** An admin the demo created through `admin create`, signed in with password + TOTP. */
export interface DemoAdmin {
  role: AdminRole;
  id: string;
  email: string;
  password: string;
  totpSecret: string;
  accessToken: string;
}

export interface WorkflowOptions {
  api: DemoApi;
  sim: DemoApi;
  databaseUrl: string;
  /** The sim's change-feed bearer token (the sim was started with it). */
  feedToken: string;
  /** The CA our API and the sim serve under (the install's dev certificate), for the sim's target. */
  caPem: string;
  /** Creates one admin through the CLI (`admin create`); answers its printed JSON. */
  createAdmin(role: AdminRole, email: string, password: string): Promise<{ id: string; totpSecret: string }>;
}

/** The member groups of the member document (camelCase of the data categories). */
const GROUPS = DATA_CATEGORIES.map(groupOf);
/** What the carrier may see: a narrower registration than the membership system's. */
const CARRIER_CATEGORIES: DataCategory[] = ['identity', 'membership', 'coverage'];
const API_KEY_ALLOWED_CIDR = '203.0.113.0/24'; // TEST-NET-3: never this machine's address
/** Registration accepts only public literals; the subscription is then pointed at a closed loopback port. */
const PUBLIC_PLACEHOLDER_URL = 'https://93.184.216.34/hooks/demo-carrier';

interface Token {
  access_token: string;
  scope: string;
  expires_in: number;
}
interface MemberDocument extends Record<string, unknown> {
  id: string;
  version: number;
}
interface SimRun {
  runId: string;
  status: string;
  events: number;
  members: number;
  changes: number;
  feedCursor: string;
  dropped: number;
  sent: number;
  duplicated: number;
  requests: number;
  responses: Record<string, number>;
  failed: number;
}
interface SimView extends Record<string, unknown> {
  sourceRef: string;
  memberId: string | null;
  version: number;
}
interface SourceStatus {
  status: string;
  lastSuccessAt: string | null;
  lagSeconds: number | null;
  openCases: number;
  deadLetters: number;
}
interface AuditEvent {
  action: string;
  outcome: string;
}
interface Alert {
  id: string;
  type: string;
  subject: string;
  severity: string;
  acknowledgedAt: string | null;
}

/**
 * The ten steps of the demo against a running API + worker and membership-sim. Each step checks
 * what it claims and answers one line saying what it proved; a check that fails throws DemoFailed.
 * Nothing here prints a member value: ids, counts, versions, lengths and problem types only.
 */
export class DemoWorkflow {
  private readonly tag = `${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`;
  readonly startedAt = new Date();
  admins: DemoAdmin[] = [];
  organizationId = '';
  private sourcePartnerId = '';
  private carrierPartnerId = '';
  private sourceClient = { clientId: '', clientSecret: '' };
  private carrierClient = { clientId: '', clientSecret: '' };
  private webhookSecret = '';
  sourceId = '';
  subscriptionId = '';
  private sourceToken = '';
  private carrierToken = '';
  /** Members the sim created in step 3 (our ids). */
  private members: Array<{ id: string; sourceRef: string }> = [];
  apiKeyId = '';

  constructor(private readonly o: WorkflowOptions) {
    faker.seed(randomInt(2 ** 31 - 1));
  }

  private admin(role: AdminRole): MemberSyncClient {
    const found = this.admins.find((a) => a.role === role);
    if (!found) throw new DemoFailed(`no ${role} signed in`);
    return this.o.api.as(found.accessToken);
  }

  // 1 ──────────────────────────────────────────────────────────────────────────────────────────
  async bootstrap(): Promise<string> {
    const roles: AdminRole[] = ['compliance_officer', 'security_admin', 'operator'];
    const made = await Promise.all(
      roles.map(async (role) => {
        const email = `demo-${role.replace('_', '-')}-${this.tag}@example.test`;
        const password = randomBytes(18).toString('base64url');
        return { role, email, password, created: await this.o.createAdmin(role, email, password) };
      }),
    );
    for (const { role, email, password, created } of made) {
      const session = await expectStatus<{ accessToken: string }>(
        this.o.api.anonymous.POST('/api/v1/admin/session', {
          body: { email, password, totp: totpCode(created.totpSecret, Date.now()) },
        }),
        200,
        `${role} sign-in with password + TOTP`,
      );
      this.admins.push({ role, id: created.id, email, password, totpSecret: created.totpSecret, ...session });
    }
    const officer = this.admin('compliance_officer');
    const security = this.admin('security_admin');

    this.organizationId = (
      await expectStatus<{ id: string }>(
        officer.POST('/api/v1/admin/organizations', { body: { name: `Demo employer ${this.tag}` } }),
        201,
        'create the organization',
      )
    ).id;
    const vendor = async (name: string, categories: DataCategory[]) =>
      (
        await expectStatus<{ id: string }>(
          officer.POST('/api/v1/admin/vendors', {
            body: {
              name: `${name} ${this.tag}`,
              role: 'partner',
              baa: {
                status: 'signed',
                signedAt: day(-1),
                effectiveFrom: day(-1),
                expiresAt: day(730),
                documentSha256: createHash('sha256').update(`demo BAA ${name} ${this.tag}`).digest('hex'),
                permittedCategories: categories,
              },
            },
          }),
          201,
          `register the vendor "${name}" with a signed BAA`,
        )
      ).id;
    const partner = async (
      name: string,
      vendorId: string,
      type: 'membership_system' | 'carrier',
      categories: DataCategory[],
      purpose: 'operations' | 'eligibility',
    ) =>
      (
        await expectStatus<{ id: string }>(
          officer.POST('/api/v1/admin/partners', {
            body: {
              name: `${name} ${this.tag}`,
              vendorId,
              type,
              organizationIds: [this.organizationId],
              categories,
              purpose,
              requiresConsent: false,
            },
          }),
          201,
          `register the ${type} partner`,
        )
      ).id;
    const all = [...DATA_CATEGORIES];
    this.sourcePartnerId = await partner(
      'Demo membership system',
      await vendor('Demo wellness company', all),
      'membership_system',
      all,
      'operations',
    );
    this.carrierPartnerId = await partner(
      'Demo carrier',
      await vendor('Demo carrier', CARRIER_CATEGORIES),
      'carrier',
      CARRIER_CATEGORIES,
      'eligibility',
    );

    this.sourceClient = await expectStatus(
      security.POST('/api/v1/admin/partners/{partnerId}/clients', {
        params: { path: { partnerId: this.sourcePartnerId } },
        body: { authMethod: 'client_secret_basic', scopes: ['sync:write', 'members:read'] },
      }),
      201,
      "create the membership system's OAuth client",
    );
    this.carrierClient = await expectStatus(
      security.POST('/api/v1/admin/partners/{partnerId}/clients', {
        params: { path: { partnerId: this.carrierPartnerId } },
        body: {
          authMethod: 'client_secret_basic',
          scopes: ['members.eligibility:read', 'changes:read', 'subscriptions:manage'],
        },
      }),
      201,
      "create the carrier's OAuth client",
    );
    this.webhookSecret = (
      await expectStatus<{ secret: string }>(
        security.POST('/api/v1/admin/partners/{partnerId}/webhook-secrets', {
          params: { path: { partnerId: this.sourcePartnerId } },
        }),
        201,
        "issue the membership system's inbound webhook secret",
      )
    ).secret;

    // The carrier subscribes to member changes at an endpoint that refuses connections: its
    // deliveries fail, retry on the schedule and dead-letter (what the queue dashboard shows).
    const subscriber = this.o.api.as(
      (await this.token(this.carrierClient, 'subscriptions:manage')).access_token,
    );
    this.subscriptionId = (
      await expectStatus<{ id: string }>(
        subscriber.POST('/api/v1/webhook-subscriptions', {
          body: { url: PUBLIC_PLACEHOLDER_URL, events: ['member.created', 'member.updated'] },
        }),
        201,
        "the carrier's webhook subscription",
      )
    ).id;
    const deadPort = await closedPort();
    await this.sql('update webhook_subscription set url = $1 where id = $2', [
      `https://127.0.0.1:${deadPort}/hooks/demo-carrier`,
      this.subscriptionId,
    ]);

    this.sourceId = (
      await expectStatus<{ id: string }>(
        security.POST('/api/v1/admin/sources', {
          body: {
            partnerId: this.sourcePartnerId,
            changeFeedUrl: `${this.o.sim.baseUrl}/changes`,
            pollIntervalSeconds: 86_400,
            bearerToken: this.o.feedToken,
          },
        }),
        201,
        "register the sim's change feed as a source",
      )
    ).id;
    // Its schedule polls once at once (on a second run of the demo it imports the feed so far).
    await eventually('the first scheduled poll of the new source', 90_000, async () => {
      const status = await this.sourceStatus();
      return status.lastSuccessAt ? status : undefined;
    });

    const target = await this.o.sim.raw('PUT', '/sim/target', {
      baseUrl: this.o.api.baseUrl,
      organizationId: this.organizationId,
      clientId: this.sourceClient.clientId,
      clientSecret: this.sourceClient.clientSecret,
      webhookSecret: this.webhookSecret,
      caPem: this.o.caPem,
    });
    if (target.status !== 204) throw new DemoFailed(`point the sim at our API: ${target.status}`);

    return (
      `3 admins made by \`admin create\` signed in with password + TOTP; organization ${this.organizationId}; ` +
      `membership system ${this.sourcePartnerId} (8 categories, OAuth client, inbound webhook secret, ` +
      `source ${this.sourceId} on the sim's feed) and carrier ${this.carrierPartnerId} ` +
      `(${CARRIER_CATEGORIES.join(', ')}), each with a signed BAA`
    );
  }

  // 2 ──────────────────────────────────────────────────────────────────────────────────────────
  async scopedToken(): Promise<string> {
    const carrier = await this.token(this.carrierClient, 'members.eligibility:read');
    const claims = jwtClaims(carrier.access_token);
    if (claims.scope !== 'members.eligibility:read')
      throw new DemoFailed(`the carrier's token carries scope "${String(claims.scope)}"`);
    const lifetime = Number(claims.exp) - Number(claims.iat);
    if (!(lifetime > 0 && lifetime <= 900))
      throw new DemoFailed(`the token lives ${lifetime} s, not ≤ 15 min`);
    this.carrierToken = carrier.access_token;

    const refused = await expectProblem(
      this.o.api.as(this.carrierToken).GET('/api/v1/webhook-subscriptions', {}),
      403,
      'the subscriptions list with a token lacking subscriptions:manage',
    );
    const notGranted = await this.o.api.raw(
      'POST',
      '/oauth/token',
      'grant_type=client_credentials&scope=sync%3Awrite',
      { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(this.carrierClient) },
    );
    if (notGranted.status !== 400 || notGranted.json<{ error: string }>().error !== 'invalid_scope')
      throw new DemoFailed(`a token for a scope the carrier's client lacks answered ${notGranted.status}`);
    this.sourceToken = (await this.token(this.sourceClient, 'sync:write members:read')).access_token;
    return (
      `carrier token (ES256 JWT, ${lifetime} s) with scope members.eligibility:read only; ` +
      `GET /webhook-subscriptions with it (its client holds subscriptions:manage, the token does not) → ` +
      `403 ${shortType(refused.type)}; asking for sync:write, which the client lacks → 400 invalid_scope`
    );
  }

  // 3 ──────────────────────────────────────────────────────────────────────────────────────────
  async signedUpdates(): Promise<string> {
    // One request at a time, in the sim's commit order: an update overtaking its member's create
    // would create the member from the update alone (and the create answer 409), until a poll.
    const run = await this.generate({
      members: 5,
      changes: 10,
      dropRate: 0,
      duplicateRate: 0.2,
      concurrency: 1,
    });
    const bad = Object.keys(run.responses).filter((code) => !/^(2\d\d|409)$/.test(code));
    if (run.failed > 0 || bad.length > 0)
      throw new DemoFailed(`the sim's webhooks were not all taken: ${JSON.stringify(run.responses)}`);
    const refs = await this.changedRefs(run.feedCursor);
    for (const ref of refs) {
      const view = await this.simView(ref);
      if (!view.memberId) throw new DemoFailed(`the sim got no member id for ${ref}`);
      this.members.push({ id: view.memberId, sourceRef: ref });
    }
    const differing = await this.differing(refs);
    if (differing.length > 0) throw new DemoFailed(`members differ from the sim's: ${differing.join('; ')}`);

    // One more, built and signed here exactly as the sim signs it.
    const [first] = this.members;
    const before = await this.readMember(first.id);
    const applied = await this.signedUpdate(first.id, { contact: { phone: phone() } });
    if (applied.status !== 200) throw new DemoFailed(`a signed update answered ${applied.status}`);
    const result = applied.json<{ result: string; version: number }>();
    if (result.result !== 'applied' || result.version !== before.version + 1)
      throw new DemoFailed(`a signed update answered ${result.result}, version ${result.version}`);

    const tampered = await this.signedUpdate(first.id, { contact: { phone: phone() } }, { tamper: true });
    if (tampered.status !== 401) throw new DemoFailed(`a tampered signature answered ${tampered.status}`);
    const after = await this.readMember(first.id);
    if (after.version !== result.version) throw new DemoFailed('the tampered update changed the member');
    return (
      `the sim pushed ${run.requests} signed webhooks (${run.members} creates, ${run.changes} updates, ` +
      `${run.duplicated} duplicates) → ${formatResponses(run.responses)}, all ${refs.length} members equal ` +
      `to the sim's field by field; a signed update of ${first.id} → applied, version ${result.version}; ` +
      `the same with a tampered body → 401 ${shortType(tampered.json<{ type: string }>().type)}, still version ${after.version}`
    );
  }

  // 4 ──────────────────────────────────────────────────────────────────────────────────────────
  async validation(): Promise<string> {
    const [, second] = this.members;
    const canaries = [
      `not-a-date-${randomBytes(4).toString('hex')}`,
      `tier-${randomBytes(4).toString('hex')}`,
    ];
    const res = await this.signedUpdate(second.id, {
      identity: { dateOfBirth: canaries[0] },
      coverage: { coverageTier: canaries[1] },
    });
    if (res.status !== 400 && res.status !== 422)
      throw new DemoFailed(`a malformed update answered ${res.status}`);
    const problem = res.json<{ type?: string; errors?: Array<{ field?: string }> }>();
    if (!problem.type) throw new DemoFailed('the refusal is not a problem with a type');
    const echoed = canaries.filter((c) => res.text.includes(c));
    if (echoed.length > 0) throw new DemoFailed('the refusal echoed the values it refused');
    const fields = (problem.errors ?? []).map((e) => e.field).filter(Boolean);
    const unchanged = (await this.readMember(second.id)).version;
    return (
      `a signed update with a bad date and an unknown coverage tier → ${res.status} ${shortType(problem.type)}` +
      `${fields.length ? ` naming ${fields.join(', ')}` : ''}; no value echoed; member still version ${unchanged}`
    );
  }

  // 5 ──────────────────────────────────────────────────────────────────────────────────────────
  async encryption(): Promise<string> {
    const [, second] = this.members;
    const document = await this.readMember(second.id);
    const view = await this.simView(second.sourceRef);
    const equal = GROUPS.every((g) => isDeepStrictEqual(document[g] ?? null, view[g] ?? null));
    if (!equal) throw new DemoFailed("the API read differs from the sim's record");
    // At least 4 characters, so a value cannot turn up in random ciphertext bytes by chance.
    const plaintexts = leafStrings(GROUPS.map((g) => document[g])).filter((s) => s.length >= 4);
    if (plaintexts.length < 5) throw new DemoFailed('the API read returned too few values to check');

    const [row] = await this.sql<Record<string, unknown>>('select * from member where id = $1', [second.id]);
    const encrypted = Object.entries(row).filter(([column]) => column.endsWith('_enc'));
    const filled = encrypted.filter(([, value]) => Buffer.isBuffer(value));
    const wellFormed = filled.filter(
      ([, value]) => (value as Buffer)[0] === 0x01 && (value as Buffer).length >= 29,
    );
    if (wellFormed.length !== filled.length || filled.length < 10)
      throw new DemoFailed(`${filled.length - wellFormed.length} encrypted columns are not in the v1 format`);
    // The columns that hold member fields: ciphertexts and blind indexes, read as raw bytes.
    const stored = Object.entries(row)
      .filter(([column, value]) => /(_enc|_bidx)$/.test(column) && Buffer.isBuffer(value))
      .map(([, value]) => value as Buffer);
    const found = plaintexts.filter((p) => stored.some((s) => s.includes(p)));
    if (found.length > 0) throw new DemoFailed(`${found.length} plaintext values found in the member row`);
    const sizes = filled.map(([, value]) => (value as Buffer).length);
    return (
      `member ${second.id}: ${filled.length} of ${encrypted.length} field columns hold ciphertext ` +
      `(0x01 ‖ nonce ‖ AES-256-GCM ‖ tag, ${Math.min(...sizes)}–${Math.max(...sizes)} bytes), ` +
      `0 of its ${plaintexts.length} plaintext values found in those bytes; the membership system's API read ` +
      `returns all ${GROUPS.filter((g) => document[g] !== undefined).length} groups decrypted, equal to the sim's record`
    );
  }

  // 6 ──────────────────────────────────────────────────────────────────────────────────────────
  async conflict(): Promise<string> {
    const officer = this.admin('compliance_officer');
    const third = this.members[2];
    // Our side amends the name (a member's rights request, accepted by the compliance officer)...
    const request = await expectStatus<{ id: string }>(
      officer.POST('/api/v1/admin/rights-requests', {
        body: {
          memberId: third.id,
          kind: 'amendment',
          receivedAt: new Date().toISOString(),
          details: { changes: { identity: { familyName: faker.person.lastName() } } },
        },
      }),
      201,
      'record an amendment request',
    );
    const step = { params: { path: { id: request.id } }, body: { reason: `DEMO-${this.tag}` } };
    await expectStatus(officer.POST('/api/v1/admin/rights-requests/{id}/review', step), 200, 'review it');
    const accepted = await expectStatus<{ memberVersion: number }>(
      officer.POST('/api/v1/admin/rights-requests/{id}/accept', step),
      200,
      'accept it',
    );
    // ...while the membership system, not knowing, changes the same name: a manual conflict.
    const theirs = faker.person.lastName();
    const stale = await this.signedUpdate(third.id, { identity: { familyName: theirs } });
    const body = stale.json<{
      type?: string;
      caseId?: string;
      fields?: Array<{ field: string; reason: string }>;
    }>();
    if (stale.status !== 409 || !body.caseId)
      throw new DemoFailed(`the concurrent name change answered ${stale.status} without a case`);
    if (stale.text.includes(theirs)) throw new DemoFailed('the conflict answer echoed the proposed value');
    const open = await expectStatus<{ data: Array<{ id: string; memberId: string; fields: string[] }> }>(
      officer.GET('/api/v1/admin/reconciliation-cases', { params: { query: { status: 'open' } } }),
      200,
      'list open reconciliation cases',
    );
    const listed = open.data.find((c) => c.id === body.caseId);
    if (!listed || listed.memberId !== third.id) throw new DemoFailed('the case is not among the open ones');
    const resolved = await expectStatus<{ memberId: string; version: number }>(
      officer.POST('/api/v1/admin/reconciliation-cases/{caseId}/resolve', {
        params: { path: { caseId: body.caseId } },
        body: { resolution: 'take_theirs' },
      }),
      200,
      'resolve the case',
    );
    const after = await this.readMember(third.id);
    const identity = after.identity as { familyName?: string } | undefined;
    if (resolved.version !== accepted.memberVersion + 1 || after.version !== resolved.version)
      throw new DemoFailed(
        `the resolution left version ${after.version} (amended: ${accepted.memberVersion})`,
      );
    if (identity?.familyName !== theirs)
      throw new DemoFailed("take_theirs did not apply the membership system's name");
    return (
      `an accepted amendment moved ${third.id} to version ${accepted.memberVersion}; the membership system's ` +
      `concurrent change of the same name → 409 ${shortType(body.type ?? '')} [${listed.fields.join(', ')}], ` +
      `case ${body.caseId}; the compliance officer resolved it take_theirs → version ${resolved.version}`
    );
  }

  // 7 ──────────────────────────────────────────────────────────────────────────────────────────
  async projection(): Promise<string> {
    const [, second] = this.members;
    const full = await this.readMember(second.id);
    const carrierRead = await expectStatus<MemberDocument>(
      this.o.api.as(this.carrierToken).GET('/api/v1/members/{memberId}', {
        params: { path: { memberId: second.id } },
      }),
      200,
      "the carrier's read",
    );
    const allowed = CARRIER_CATEGORIES.map(groupOf);
    const seen = GROUPS.filter((g) => carrierRead[g] !== undefined);
    const leaked = seen.filter((g) => !allowed.includes(g));
    if (leaked.length > 0) throw new DemoFailed(`the carrier saw ${leaked.join(', ')}`);
    if (carrierRead.governmentId !== undefined || full.governmentId === undefined)
      throw new DemoFailed('governmentId is not withheld from the carrier alone');
    const withheld = GROUPS.filter((g) => full[g] !== undefined && carrierRead[g] === undefined);
    return (
      `the carrier's read of ${second.id} holds ${seen.join(', ')}; ${withheld.join(', ')} withheld ` +
      `(the membership system's read of the same member holds all ${GROUPS.filter((g) => full[g] !== undefined).length} groups)`
    );
  }

  // 8 ──────────────────────────────────────────────────────────────────────────────────────────
  async audit(): Promise<string> {
    const officer = this.admin('compliance_officer');
    const counts = new Map<string, number>();
    let cursor: string | undefined;
    let total = 0;
    for (let page = 0; page < 40; page += 1) {
      const res = await expectStatus<{ data: AuditEvent[]; nextCursor: string | null }>(
        officer.GET('/api/v1/admin/audit/events', {
          params: {
            query: { from: this.startedAt.toISOString(), limit: 500, ...(cursor ? { cursor } : {}) },
          },
        }),
        200,
        'audit search',
      );
      for (const event of res.data) {
        const key = `${event.action}${event.outcome === 'success' ? '' : ` (${event.outcome})`}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      total += res.data.length;
      if (!res.nextCursor) break;
      cursor = res.nextCursor;
    }
    // Step by step: who was made, who signed in, what was applied, read, refused and decided.
    const wanted = [
      'admin_user.create',
      'admin.login',
      'partner.create',
      'sync_source.create',
      'token.issue',
      'token.issue (denied)',
      'access.authorize (denied)',
      'member.create',
      'member.update',
      'webhook.verify (failure)',
      'member.read',
      'rights_request.accept',
      'reconciliation_case.open',
      'reconciliation_case.resolve',
    ];
    const missing = wanted.filter((w) => !counts.has(w));
    if (missing.length > 0) throw new DemoFailed(`audit search lacks ${missing.join(', ')}`);
    const verify = await expectStatus<{
      ok: boolean;
      firstBrokenSeq: number | null;
      problem: string | null;
      eventsChecked: number;
      checkpointsChecked: number;
    }>(
      officer.GET('/api/v1/admin/audit/verify', { params: { query: { full: 'true' } } }),
      200,
      'audit verify',
    );
    if (!verify.ok)
      throw new DemoFailed(
        `audit verify: the chain breaks at sequence ${verify.firstBrokenSeq} (${verify.problem ?? 'no reason given'})`,
      );
    const shown = wanted.map((w) => `${w} ×${counts.get(w)}`).join(', ');
    return (
      `${total} events since the demo began, among them ${shown}; audit verify (full): chain intact, ` +
      `${verify.eventsChecked} events and ${verify.checkpointsChecked} signed checkpoints checked`
    );
  }

  // 9 ──────────────────────────────────────────────────────────────────────────────────────────
  async alert(): Promise<string> {
    const security = this.admin('security_admin');
    const key = await expectStatus<{ id: string; key: string }>(
      security.POST('/api/v1/admin/partners/{partnerId}/api-keys', {
        params: { path: { partnerId: this.sourcePartnerId } },
        body: { scopes: ['sync:write'], allowedCidrs: [API_KEY_ALLOWED_CIDR] },
      }),
      201,
      'issue an API key for another network',
    );
    this.apiKeyId = key.id;
    const used = await this.o.api.raw(
      'POST',
      '/api/v1/sync/batches',
      { updates: [] },
      { 'x-api-key': key.key },
    );
    if (used.status !== 401) throw new DemoFailed(`the key used from 127.0.0.1 answered ${used.status}`);
    const alert = await eventually('the api_key_outside_allowlist alert', 10_000, async () => {
      const list = await expectStatus<{ data: Alert[] }>(
        security.GET('/api/v1/admin/alerts', {}),
        200,
        'list alerts',
      );
      return list.data.find((a) => a.type === 'api_key_outside_allowlist' && a.subject.includes(key.id));
    });
    return (
      `API key ${key.id} (allowed from ${API_KEY_ALLOWED_CIDR}) used from 127.0.0.1 → 401; ` +
      `GET /admin/alerts lists ${alert.id}: ${alert.type}, severity ${alert.severity}, subject ${alert.subject}`
    );
  }

  // 10 ─────────────────────────────────────────────────────────────────────────────────────────
  async fallbackPoll(): Promise<string> {
    const run = await this.generate({
      members: 8,
      changes: 24,
      dropRate: 0.3,
      duplicateRate: 0.1,
      reorder: true,
    });
    if (run.dropped === 0) throw new DemoFailed('the sim dropped no webhook');
    const refs = await this.changedRefs(run.feedCursor);
    const before = await this.differing(refs);

    const security = this.admin('security_admin');
    const asked = new Date();
    const poll = await expectStatus<{ jobId: string }>(
      security.POST('/api/v1/admin/sources/{id}/poll', { params: { path: { id: this.sourceId } } }),
      202,
      'an on-demand poll',
    );
    const status = await eventually('the poll', 60_000, async () => {
      const s = await this.sourceStatus();
      return s.lastSuccessAt && new Date(s.lastSuccessAt) >= asked ? s : undefined;
    });
    const after = await this.differing(refs);
    if (after.length > 0)
      throw new DemoFailed(
        `${after.length} of ${refs.length} members still differ after the poll: ${after.join('; ')}`,
      );
    return (
      `the sim dropped ${run.dropped} of ${run.events} webhooks (${before.length} of ${refs.length} members ` +
      `differed); poll job ${poll.jobId} read the feed → source ${status.status}, lag ${status.lagSeconds ?? 0} s, ` +
      `last success ${status.lastSuccessAt}, ${status.openCases} open cases, ${status.deadLetters} dead letters; ` +
      `all ${refs.length} members equal to the sim's, field by field`
    );
  }

  /** The populated install: dead-lettered deliveries and open alerts, as the admin API lists them. */
  async populated(): Promise<{
    deadLetters: number;
    openAlerts: number;
    members: number;
    auditEvents: number;
  }> {
    const operator = this.admin('operator');
    const deadLetters = await eventually('a dead-lettered delivery to the carrier', 60_000, async () => {
      const list = await expectStatus<{ data: unknown[] }>(
        operator.GET('/api/v1/admin/deliveries/dead-letters', {}),
        200,
        'list dead letters',
      );
      return list.data.length > 0 ? list.data.length : undefined;
    });
    const alerts = await expectStatus<{ data: Alert[] }>(
      operator.GET('/api/v1/admin/alerts', {}),
      200,
      'list alerts',
    );
    const [counts] = await this.sql<{ members: string; events: string }>(
      `select (select count(*) from member) as members, (select count(*) from audit_event) as events`,
    );
    return {
      deadLetters,
      openAlerts: alerts.data.filter((a) => !a.acknowledgedAt).length,
      members: Number(counts.members),
      auditEvents: Number(counts.events),
    };
  }

  // ── helpers ──────────────────────────────────────────────────────────────────────────────────

  private async token(client: { clientId: string; clientSecret: string }, scope: string): Promise<Token> {
    try {
      return (await clientCredentialsToken(this.o.api.anonymous, {
        ...client,
        scopes: scope.split(' '),
      })) as Token;
    } catch (error) {
      throw new DemoFailed(`a ${scope} token: ${(error as Error).message}`);
    }
  }

  /**
   * A member update signed per Standard Webhooks with the membership system's secret (the SDK's
   * signer, as the sim signs: over the exact bytes sent). `tamper` changes the body after signing.
   */
  private async signedUpdate(
    memberId: string,
    changes: Record<string, unknown>,
    options: { tamper?: boolean } = {},
  ) {
    const signed = signWebhookBody(this.webhookSecret, {
      eventId: `evt_demo_${randomUUID()}`,
      occurredAt: new Date().toISOString(),
      changes,
    });
    const text = signed.bodySerializer();
    const result = await this.o.api.as(this.sourceToken).POST('/api/v1/members/{memberId}/updates', {
      params: { path: { memberId }, header: signed.header },
      // Deliberately malformed changes (step 4) are sent as they are: the server is what judges them.
      body: signed.body as never,
      bodySerializer: options.tamper
        ? () => text.replace('"changes":{', '"changes": {')
        : signed.bodySerializer,
    });
    const answer = JSON.stringify(result.data ?? result.error ?? null);
    return { status: result.response.status, text: answer, json: <T>() => JSON.parse(answer) as T };
  }

  private async readMember(id: string): Promise<MemberDocument> {
    return expectStatus<MemberDocument>(
      this.o.api
        .as(this.sourceToken)
        .GET('/api/v1/members/{memberId}', { params: { path: { memberId: id } } }),
      200,
      `read ${id}`,
    );
  }

  private async sourceStatus(): Promise<SourceStatus> {
    return expectStatus<SourceStatus>(
      this.admin('security_admin').GET('/api/v1/admin/sources/{id}/status', {
        params: { path: { id: this.sourceId } },
      }),
      200,
      'source status',
    );
  }

  private async generate(body: Record<string, unknown>): Promise<SimRun> {
    const res = await this.o.sim.raw('POST', '/sim/generate', { seed: randomInt(1, 2 ** 31 - 1), ...body });
    if (res.status !== 200) throw new DemoFailed(`the sim's run: ${res.status}`);
    const run = res.json<SimRun>();
    if (run.status !== 'done') throw new DemoFailed(`the sim's run ended ${run.status}`);
    return run;
  }

  /** The sourceRefs a sim run touched, from its change feed after the run's starting cursor. */
  private async changedRefs(fromCursor: string): Promise<string[]> {
    const refs = new Set<string>();
    let cursor = fromCursor;
    for (let page = 0; page < 100; page += 1) {
      const res = await this.o.sim.raw(
        'GET',
        `/changes?cursor=${encodeURIComponent(cursor)}&limit=1000`,
        undefined,
        {
          authorization: `Bearer ${this.o.feedToken}`,
        },
      );
      if (res.status !== 200) throw new DemoFailed(`the sim's change feed: ${res.status}`);
      const feed = res.json<{ data: Array<{ sourceRef: string }>; nextCursor: string; hasMore: boolean }>();
      for (const change of feed.data) refs.add(change.sourceRef);
      cursor = feed.nextCursor;
      if (!feed.hasMore) break;
    }
    return [...refs];
  }

  private async simView(sourceRef: string): Promise<SimView> {
    const res = await this.o.sim.raw('GET', `/sim/members/${encodeURIComponent(sourceRef)}`);
    if (res.status !== 200) throw new DemoFailed(`the sim's view of ${sourceRef}: ${res.status}`);
    return res.json<SimView>();
  }

  /** The sourceRefs whose member (ours, by source_ref) differs from the sim's in any group, or is missing. */
  private async differing(refs: string[]): Promise<string[]> {
    const rows = await this.sql<{ id: string; source_ref: string }>(
      'select id, source_ref from member where source_partner_id = $1 and source_ref = any($2)',
      [this.sourcePartnerId, refs],
    );
    const ours = new Map(rows.map((r) => [r.source_ref, r.id]));
    const wrong: string[] = [];
    for (const ref of refs) {
      const id = ours.get(ref);
      if (!id) {
        wrong.push(`${ref} (missing)`);
        continue;
      }
      const [document, view] = await Promise.all([this.readMember(id), this.simView(ref)]);
      const groups = GROUPS.filter((g) => !isDeepStrictEqual(document[g] ?? null, view[g] ?? null));
      if (groups.length > 0) wrong.push(`${ref} (${groups.join(', ')})`);
    }
    return wrong;
  }

  private async sql<T extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.o.databaseUrl });
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  }
}

function groupOf(category: DataCategory): string {
  return category.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function day(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

function basic(client: { clientId: string; clientSecret: string }): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
}

function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

function phone(): string {
  return `+1555${randomInt(1_000_000, 9_999_999)}`;
}

function formatResponses(responses: Record<string, number>): string {
  return Object.entries(responses)
    .map(([code, n]) => `${n}× ${code}`)
    .join(', ');
}

/** Every string (and number, as text) inside a value: the plaintexts the database must not hold. */
function leafStrings(value: unknown): string[] {
  if (value === null || value === undefined || typeof value === 'boolean') return [];
  if (typeof value === 'string') return [value];
  if (typeof value === 'number') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(leafStrings);
  if (typeof value === 'object') return Object.values(value).flatMap(leafStrings);
  return [];
}
