import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsDateString,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { DATA_CATEGORIES, PageQuery, type DataCategory } from '@app/common';
import { CONSENT_STATUSES, type ConsentStatus } from './consent-rule';

const MEMBER_ID = /^mbr_[0-9A-HJKMNP-TV-Z]{26}$/;
const PARTNER_ID = /^prt_[0-9A-HJKMNP-TV-Z]{26}$/;

export class CreateConsentDto {
  @ApiProperty({ pattern: '^mbr_[0-9A-Z]{26}$' })
  @Matches(MEMBER_ID)
  memberId: string;

  @ApiProperty({ pattern: '^prt_[0-9A-Z]{26}$' })
  @Matches(PARTNER_ID)
  partnerId: string;

  @ApiProperty({ description: "the partner's purpose of use, e.g. `marketing`", maxLength: 40 })
  @IsString()
  @Matches(/^[a-z][a-z_]{0,39}$/)
  purpose: string;

  @ApiProperty({ enum: DATA_CATEGORIES, isArray: true, minItems: 1 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(DATA_CATEGORIES.length)
  @ArrayUnique()
  @IsIn([...DATA_CATEGORIES], { each: true })
  categories: DataCategory[];

  @ApiProperty({ format: 'date-time' })
  @IsDateString({ strict: true, strictSeparator: true })
  @MaxLength(40)
  validFrom: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'absent: until revoked' })
  @IsOptional()
  @IsDateString({ strict: true, strictSeparator: true })
  @MaxLength(40)
  validUntil?: string;

  @ApiProperty({
    pattern: '^[0-9a-f]{64}$',
    description: 'SHA-256 of the signed consent evidence, kept elsewhere',
  })
  @Matches(/^[0-9a-f]{64}$/)
  evidenceSha256: string;
}

export class RevokeConsentDto {
  @ApiProperty({
    description: 'why (a ticket reference; never PHI), kept with the consent and audited',
    maxLength: 200,
  })
  @IsString()
  // Printable text on one line: it is stored and shown in the audit trail.
  @Matches(/^[^\p{Cc}]{1,200}$/u)
  @MaxLength(200)
  reason: string;
}

export class ConsentParams {
  @ApiProperty({ pattern: '^cns_[0-9A-Z]{26}$' })
  @Matches(/^cns_[0-9A-HJKMNP-TV-Z]{26}$/)
  consentId: string;
}

export class ListConsentsQuery extends PageQuery {
  @ApiPropertyOptional({ pattern: '^mbr_[0-9A-Z]{26}$' })
  @IsOptional()
  @Matches(MEMBER_ID)
  memberId?: string;

  @ApiPropertyOptional({ pattern: '^prt_[0-9A-Z]{26}$' })
  @IsOptional()
  @Matches(PARTNER_ID)
  partnerId?: string;

  @ApiPropertyOptional({ enum: CONSENT_STATUSES, description: 'as of now; absent: all' })
  @IsOptional()
  @IsIn([...CONSENT_STATUSES])
  status?: ConsentStatus;
}

export class CreatedConsentDto {
  @ApiProperty({ example: 'cns_01JD3Q4Z5X6C7V8B9N0M1K2J3H' })
  id: string;
}

export class RevokedConsentDto {
  @ApiProperty()
  id: string;

  @ApiProperty({ enum: ['revoked'] })
  status: 'revoked';

  @ApiProperty({ format: 'date-time' })
  revokedAt: string;
}

export class ConsentDto {
  @ApiProperty()
  id: string;

  @ApiProperty()
  memberId: string;

  @ApiProperty()
  organizationId: string;

  @ApiProperty()
  partnerId: string;

  @ApiProperty()
  purpose: string;

  @ApiProperty({ enum: DATA_CATEGORIES, isArray: true })
  categories: DataCategory[];

  @ApiProperty({ format: 'date-time' })
  validFrom: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  validUntil: string | null;

  @ApiProperty({ enum: CONSENT_STATUSES, description: 'expired is computed from validUntil' })
  status: ConsentStatus;

  @ApiProperty({ description: 'active and validFrom ≤ now: the consent opens the member to the partner now' })
  inEffect: boolean;

  @ApiProperty()
  evidenceSha256: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty()
  createdBy: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  revokedAt: string | null;

  @ApiProperty({ nullable: true, type: String })
  revokedBy: string | null;

  @ApiProperty({ nullable: true, type: String })
  revocationReason: string | null;
}

export class ConsentPageDto {
  @ApiProperty({ type: [ConsentDto] })
  data: ConsentDto[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor: string | null;
}
