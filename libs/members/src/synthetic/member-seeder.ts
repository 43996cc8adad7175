import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService } from '@app/audit';
import { Clock, newId, type Actor, ResourceNotFound } from '@app/common';
import { DataKeysService } from '@app/crypto';
import { OrganizationsService } from '@app/identity';
import type { MemberField } from '../catalog/field-catalog';
import { CREATE_MEMBER_SCHEMA } from '../catalog/member-schema';
import { compileValidator } from '../catalog/schema-validator';
import { senderOf } from '../member-change';
import { MemberSealer } from '../member.sealer';
import { valuesFromGroups } from '../projection';
import { MAX_BULK_MEMBERS, MemberBatchStore, type BulkMember } from './member-batch.store';
import { SyntheticMemberGenerator, type SyntheticMember } from './synthetic-member.generator';

export interface SeedCommand {
  /** Who seeds: a system actor (`system: 'cli:seed'`), named in every audit event of the run. */
  actor: Actor;
  members: number;
  seed: number;
  /** Seed into this organization; without it one named `Synthetic Org <seed>` is created. */
  organizationId?: string;
  /** The generator index of the first member (to grow a seeded set: 0, then 10,000, …). */
  firstIndex?: number;
  /** Members per transaction (and per audit event). */
  batchSize?: number;
  onProgress?: (seeded: number) => void;
}

export interface SeedResult {
  organizationId: string;
  members: number;
  seconds: number;
}

const validateCreate = compileValidator<unknown>(CREATE_MEMBER_SCHEMA);
const DEFAULT_BATCH_SIZE = 500;

/**
 * Seeds synthetic members through the real write path: each member gets its own data key and is
 * sealed by the MemberSealer the API's writes use; each gets its `member_change` row, sent by the
 * seeding command.
 * One transaction and one `member.seed` audit event per batch; the next batch is generated and
 * encrypted while the previous one commits.
 */
@Injectable()
export class MemberSeeder {
  constructor(
    private readonly em: EntityManager,
    private readonly batches: MemberBatchStore,
    private readonly sealer: MemberSealer,
    private readonly dataKeys: DataKeysService,
    private readonly organizations: OrganizationsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async seed(command: SeedCommand): Promise<SeedResult> {
    const started = process.hrtime.bigint();
    const batchSize = command.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isSafeInteger(command.members) || command.members < 0)
      throw new RangeError('members must be a non-negative integer');
    if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_BULK_MEMBERS)
      throw new RangeError(`batchSize must be 1 to ${MAX_BULK_MEMBERS}`);
    const generator = new SyntheticMemberGenerator(command.seed);
    const organizationId = await this.organizationFor(command);
    const first = command.firstIndex ?? 0;

    let seeded = 0;
    let writing: Promise<void> | undefined;
    for (let from = first; from < first + command.members; from += batchSize) {
      const count = Math.min(batchSize, first + command.members - from);
      const batch = await this.prepare(
        organizationId,
        generator.members(from, count),
        senderOf(command.actor),
      );
      await writing;
      writing = this.write(batch, command).then(() => {
        seeded += batch.length;
        command.onProgress?.(seeded);
      });
      // Awaited before the next write or at the end; this only keeps a failure from going unhandled meanwhile.
      void writing.catch(() => undefined);
    }
    await writing;
    return {
      organizationId,
      members: seeded,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  }

  private async organizationFor(command: SeedCommand): Promise<string> {
    if (command.organizationId) {
      const [found] = await this.organizations.existing([command.organizationId]);
      if (!found) throw new ResourceNotFound('organization');
      return found;
    }
    const { id } = await this.organizations.create(`Synthetic Org ${command.seed}`, command.actor);
    return id;
  }

  private async prepare(
    organizationId: string,
    members: Iterable<SyntheticMember>,
    sender: string,
  ): Promise<BulkMember[]> {
    const now = this.clock.now();
    const batch: BulkMember[] = [];
    for (const member of members) {
      // The same validation a create request passes, so seeded rows are rows the API could have written.
      validateCreate({ eventId: 'synthetic-seed', organizationId, ...member });
      const values = valuesFromGroups(member);
      const id = newId('member');
      const sealed = await this.sealer.sealNew({ id, organizationId }, values, {
        sender,
        at: member.occurredAt,
      });
      batch.push({
        id,
        organizationId,
        sourcePartnerId: null,
        sourceRef: member.sourceRef,
        ...sealed,
        now,
        change: {
          fields: Object.keys(values) as MemberField[],
          sender,
          occurredAt: new Date(member.occurredAt),
          recordedAt: now,
        },
      });
      // A seeding run touches far more members than it will read back: keep the key cache for real traffic.
      this.dataKeys.forget(id);
    }
    return batch;
  }

  private write(batch: BulkMember[], { actor, seed }: SeedCommand): Promise<void> {
    return this.em.fork().transactional(async (em) => {
      await this.batches.insertMany(em, batch);
      await this.audit.record(em, {
        actorType: 'system',
        actorId: actor.system ?? null,
        ip: actor.request.ip,
        method: actor.request.method,
        route: actor.request.route,
        requestId: actor.request.requestId,
        action: 'member.seed',
        resourceType: 'member',
        resourceIds: batch.map((m) => m.id),
        outcome: 'success',
        reason: `synthetic_seed:${seed}`,
      });
    });
  }
}
