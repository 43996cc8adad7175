import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { Logger } from '@nestjs/common';
import { type Clock, ResourceNotFound } from '@app/common';
import { verifyWebhook } from '@app/crypto';
import { memberGroupsProperties } from '@app/members';
import { MEMBER_GROUP_NAMES, type MemberChanges } from './member-document';
import { DeliverySignatureRefused, InvalidDelivery } from './sim-errors';
import type { SimSettings } from './sim-settings';
import type { DeliveryApplication, SimStore } from './sim-store';

/**
 * A change our API delivers back to the membership system. The member is addressed by the sim's
 * `sourceRef` or by our `memberId`; the changed groups come as `changes` (or as `data`, the
 * member document of a partner-style delivery, whose non-group keys are ignored).
 */
export interface DeliveryBody {
  type?: 'member.created' | 'member.updated' | 'member.deleted';
  sourceRef?: string;
  memberId?: string;
  eventId?: string;
  occurredAt?: string;
  version?: number;
  changes?: MemberChanges;
  data?: (MemberChanges & Record<string, unknown>) | null;
}

export interface DeliveryOutcome {
  status: number;
  body: { status: 'applied' | 'duplicate' | 'fault' };
  retryAfterSeconds?: number;
}

/** What the sim did with the deliveries it received (ids and outcomes only). */
export interface DeliveryLogEntry {
  webhookId: string;
  outcome: DeliveryApplication | 'fault' | 'refused';
  status: number;
  receivedAt: string;
}

const LOG_KEPT = 200;
const groups = memberGroupsProperties();
const DOCUMENT_KEYS = {
  id: {},
  organizationId: {},
  version: {},
  status: {},
  updatedAt: {},
  memberId: {},
  sourceRef: {},
};
const DELIVERY_SCHEMA = {
  type: 'object',
  properties: {
    type: { enum: ['member.created', 'member.updated', 'member.deleted'] },
    sourceRef: { type: 'string', minLength: 1, maxLength: 100 },
    memberId: { type: 'string', pattern: '^mbr_[0-9A-Za-z]{10,40}$' },
    eventId: { type: 'string', minLength: 1, maxLength: 200 },
    occurredAt: { type: 'string', maxLength: 40 },
    version: { type: 'integer', minimum: 0 },
    changes: { type: 'object', additionalProperties: false, minProperties: 1, properties: groups },
    // Our API sends `data: null` with a `member.deleted` (the member is crypto-shredded by then).
    data: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: { ...groups, ...DOCUMENT_KEYS },
    },
  },
  allOf: [
    { anyOf: [{ required: ['sourceRef'] }, { required: ['memberId'] }] },
    {
      if: { required: ['type'], properties: { type: { const: 'member.deleted' } } },
      then: {},
      else: {
        anyOf: [{ required: ['changes'] }, { required: ['data'], properties: { data: { type: 'object' } } }],
      },
    },
  ],
};
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validDelivery = ajv.compile<DeliveryBody>(DELIVERY_SCHEMA);

/** `POST /sim/deliveries`: verifies, optionally fails on purpose, then applies once per webhook-id. */
export class DeliveryInbox {
  private readonly logger = new Logger('MembershipSim');
  private readonly entries: DeliveryLogEntry[] = [];
  private readonly counts = {
    received: 0,
    applied: 0,
    duplicate: 0,
    unknown_member: 0,
    fault: 0,
    refused: 0,
  };

  constructor(
    private readonly store: SimStore,
    private readonly settings: SimSettings,
    private readonly clock: Clock,
  ) {}

  async receive(
    headers: Record<string, string | string[] | undefined>,
    rawBody: Buffer | undefined,
  ): Promise<DeliveryOutcome> {
    this.counts.received += 1;
    const body = rawBody ?? Buffer.alloc(0);
    const secrets = this.settings.secretsForDeliveries();
    const verified =
      secrets.length === 0
        ? ({ ok: false, reason: 'no_secret_configured' } as const)
        : verifyWebhook(headers, body, secrets, { nowSeconds: this.clock.nowSeconds() });
    if (!verified.ok) {
      this.note('(unverified)', 'refused', 401);
      throw new DeliverySignatureRefused(verified.reason);
    }
    const delivery = parse(body);
    const fault = this.settings.faults.next();
    if (fault) {
      this.note(verified.id, 'fault', fault.status);
      return { status: fault.status, body: { status: 'fault' }, retryAfterSeconds: fault.retryAfterSeconds };
    }
    const changes = pickGroups(delivery.changes ?? delivery.data ?? {});
    const outcome = await this.store.applyDelivery({
      webhookId: verified.id,
      sourceRef: delivery.sourceRef,
      memberId: delivery.sourceRef === undefined ? delivery.memberId : undefined,
      eventId: delivery.eventId,
      changes,
      deleted: delivery.type === 'member.deleted',
      groups: Object.keys(changes),
    });
    this.note(verified.id, outcome, outcome === 'unknown_member' ? 404 : 200);
    if (outcome === 'unknown_member') throw new ResourceNotFound('member');
    return { status: 200, body: { status: outcome } };
  }

  log(): {
    counts: Record<string, number>;
    recent: DeliveryLogEntry[];
    fault: ReturnType<SimSettings['faults']['current']>;
  } {
    return { counts: { ...this.counts }, recent: [...this.entries], fault: this.settings.faults.current() };
  }

  private note(webhookId: string, outcome: DeliveryLogEntry['outcome'], status: number): void {
    this.counts[outcome] += 1;
    this.entries.push({ webhookId, outcome, status, receivedAt: this.clock.now().toISOString() });
    if (this.entries.length > LOG_KEPT) this.entries.shift();
    this.logger.log(`delivery ${webhookId}: ${outcome} (${status})`);
  }
}

function parse(body: Buffer): DeliveryBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidDelivery(['(body)']);
  }
  if (!validDelivery(parsed)) {
    // Schema paths only (declared names and indices), never a value or a key the caller made up.
    throw new InvalidDelivery([
      ...new Set((validDelivery.errors ?? []).map((e) => e.instancePath || '(body)')),
    ]);
  }
  return parsed;
}

function pickGroups(source: MemberChanges & Record<string, unknown>): MemberChanges {
  return Object.fromEntries(
    MEMBER_GROUP_NAMES.filter((g) => source[g] !== undefined).map((g) => [g, source[g]]),
  );
}
