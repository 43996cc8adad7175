import { Entity, EntityRepositoryType, PrimaryKey, Property } from '@mikro-orm/core';
import { RightsExportLinkRepository } from './rights-export-link.repository';

export type ExportFormat = 'json' | 'fhir';

/** A one-time download link of an access request's export: only the token's SHA-256 is kept. */
@Entity({ tableName: 'rights_export_link', repository: () => RightsExportLinkRepository })
export class RightsExportLink {
  [EntityRepositoryType]?: RightsExportLinkRepository;

  @PrimaryKey({ type: 'Buffer', columnType: 'bytea' })
  tokenSha256: Buffer;

  @Property({ type: 'string', length: 30 })
  requestId: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  @Property({ type: 'string', length: 40 })
  createdBy: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  expiresAt: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  consumedAt?: Date | null;

  @Property({ type: 'string', length: 8, nullable: true })
  consumedFormat?: ExportFormat | null;
}
