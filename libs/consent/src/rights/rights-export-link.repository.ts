import { EntityRepository } from '@mikro-orm/postgresql';
import type { ExportFormat, RightsExportLink } from './rights-export-link.entity';

/** Export links by token hash. */
export class RightsExportLinkRepository extends EntityRepository<RightsExportLink> {
  /**
   * Consumes a usable link in one statement (two concurrent downloads: one wins); answers its
   * request id, or null when the link is unknown, used or expired.
   */
  async consume(tokenSha256: Buffer, format: ExportFormat, now: Date): Promise<string | null> {
    const rows = await this.getEntityManager().execute<Array<{ request_id: string }>>(
      `update rights_export_link set consumed_at = ?, consumed_format = ?
        where token_sha256 = ? and consumed_at is null and expires_at > ? returning request_id`,
      [now, format, tokenSha256, now],
    );
    return rows[0]?.request_id ?? null;
  }
}
