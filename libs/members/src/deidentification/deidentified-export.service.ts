import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService, auditActor } from '@app/audit';
import { Clock, DATA_CATEGORIES, randomBase32, ResourceNotFound, type Actor } from '@app/common';
import { DataKeysService } from '@app/crypto';
import { OrganizationsService } from '@app/identity';
import { MemberCipher } from '../member-cipher';
import { IntegrityViolation } from '../member.errors';
import { deidentifyMember } from './safe-harbor';
import { MemberSnapshotStore, type MemberSnapshot } from './member-snapshot.store';

/** Members decrypted, de-identified and written per step: bounds memory whatever the table's size. */
export const EXPORT_BATCH_SIZE = 500;

/**
 * The Safe Harbor export: every live member (or one organization's), in id order, one
 * de-identified JSON line each. The output is not ePHI, but producing it reads every member's ePHI,
 * so the read is audited once, with the count, before the first line leaves.
 */
@Injectable()
export class DeidentifiedExportService {
  private readonly logger = new Logger('DeidentifiedExport');

  constructor(
    private readonly snapshots: MemberSnapshotStore,
    private readonly cipher: MemberCipher,
    private readonly dataKeys: DataKeysService,
    private readonly organizations: OrganizationsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async open(actor: Actor, query: { organizationId?: string }): Promise<Readable> {
    const organizationId = query.organizationId ?? null;
    if (organizationId && (await this.organizations.existing([organizationId])).length === 0)
      throw new ResourceNotFound('organization');
    const snapshot = await this.snapshots.open(organizationId);
    try {
      const count = await snapshot.count();
      await this.audit.recordStandalone({
        ...auditActor(actor),
        action: 'member.export_deidentified',
        resourceType: organizationId ? 'organization' : 'member',
        resourceIds: organizationId ? [organizationId] : null,
        outcome: 'success',
        statusCode: 200,
        categories: [...DATA_CATEGORIES],
        reason: `members:${count}`,
      });
    } catch (error) {
      await snapshot.close();
      throw error;
    }
    const run = { started: false };
    const stream = Readable.from(this.lines(snapshot, this.clock.now(), run));
    // A generator destroyed before its first read never runs its `finally`; once started, it closes itself.
    stream.once('close', () => {
      if (run.started) return;
      snapshot.close().catch((error: unknown) => this.logger.error({ err: error }, 'snapshot close failed'));
    });
    return stream;
  }

  /** One chunk per batch; a member whose ciphertext fails its check is left out (and alerted by the cipher). */
  private async *lines(
    snapshot: MemberSnapshot,
    asOf: Date,
    run: { started: boolean },
  ): AsyncGenerator<string> {
    run.started = true;
    try {
      let after: string | null = null;
      for (;;) {
        const page = await snapshot.pageAfter(after, EXPORT_BATCH_SIZE);
        if (page.length === 0) return;
        let chunk = '';
        for (const stored of page) {
          try {
            const values = await this.cipher.open(stored);
            // The pseudonym is fresh randomness per line: nothing links it to the member or to another export.
            const line = deidentifyMember(
              { organizationId: stored.organizationId, status: stored.status, values },
              { pseudonym: `anon_${randomBase32()}`, asOf },
            );
            chunk += `${JSON.stringify(line)}\n`;
          } catch (error) {
            if (!(error instanceof IntegrityViolation)) throw error;
          } finally {
            // Out of the bounded key cache at once, so a full scan does not push out live traffic's keys.
            this.dataKeys.forget(stored.id);
          }
        }
        if (chunk) yield chunk;
        after = page[page.length - 1].id;
      }
    } finally {
      await snapshot.close();
    }
  }
}
