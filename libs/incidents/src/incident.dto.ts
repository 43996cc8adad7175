import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsDateString,
  IsEmail,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageQuery } from '@app/common';
import {
  BREACH_ACTIONS,
  BREACH_LOCATIONS,
  BREACH_TYPES,
  SAFEGUARDS,
  type BreachAction,
  type BreachLocation,
  type BreachType,
  type Safeguard,
} from './hhs-report';
import { RISK_LEVELS, type RiskLevel } from './risk-assessment';

/** Officer free text: stored sealed, never logged; bounded. */
const NOTE_MAX = 2000;
const ONE_LINE_REASON = /^[^\p{Cc}]{1,200}$/u;

export class CreateIncidentDto {
  @ApiProperty({ format: 'date-time' })
  @IsDateString({ strict: true })
  discoveredAt: string;

  @ApiProperty({
    maxLength: 4000,
    description: "What happened, in the officer's words. Stored encrypted, never logged; avoid member data.",
  })
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  description: string;

  @ApiPropertyOptional({
    description: 'The compromised OAuth client, whose disclosures name the affected members',
  })
  @IsOptional()
  @Matches(/^cli_[0-9A-HJKMNP-TV-Z]{26}$/)
  clientId?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Start of the window (default: the start of the audit trail)',
  })
  @IsOptional()
  @IsDateString({ strict: true })
  from?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'End of the window, exclusive (default: when recorded)',
  })
  @IsOptional()
  @IsDateString({ strict: true })
  to?: string;
}

export class IncidentParams {
  @ApiProperty({ pattern: '^inc_[0-9A-Z]{26}$' })
  @Matches(/^inc_[0-9A-HJKMNP-TV-Z]{26}$/)
  incidentId: string;
}

export class ReasonDto {
  @ApiProperty({ maxLength: 200, description: 'Why (one line; the first 80 characters are audited)' })
  @IsString()
  @Matches(ONE_LINE_REASON)
  @MaxLength(200)
  reason: string;
}

/** DESIGN §4 gives contain no body, so scripts may send none: the reason then names the incident. */
export class ContainDto {
  @ApiPropertyOptional({ maxLength: 200, description: 'Why (one line); defaults to the incident id' })
  @IsOptional()
  @IsString()
  @Matches(ONE_LINE_REASON)
  @MaxLength(200)
  reason?: string;
}

export class FactorDto {
  @ApiProperty({ enum: RISK_LEVELS })
  @IsIn([...RISK_LEVELS])
  level: RiskLevel;

  @ApiProperty({ maxLength: NOTE_MAX, description: 'Stored encrypted, never logged' })
  @IsString()
  @MaxLength(NOTE_MAX)
  note: string;
}

export class AcquiredFactorDto extends FactorDto {
  @ApiProperty({ description: 'Whether the PHI was actually acquired or viewed' })
  @IsBoolean()
  acquired: boolean;
}

/** §164.402(2): the four factors; the determination follows from them (docs/api-guide.md). */
export class AssessmentDto extends ReasonDto {
  @ApiProperty({ type: FactorDto, description: '(i) nature and extent of the PHI involved' })
  @IsObject()
  @ValidateNested()
  @Type(() => FactorDto)
  natureAndExtent: FactorDto;

  @ApiProperty({ type: FactorDto, description: '(ii) the unauthorized person' })
  @IsObject()
  @ValidateNested()
  @Type(() => FactorDto)
  unauthorizedPerson: FactorDto;

  @ApiProperty({ type: AcquiredFactorDto, description: '(iii) whether the PHI was acquired or viewed' })
  @IsObject()
  @ValidateNested()
  @Type(() => AcquiredFactorDto)
  acquiredOrViewed: AcquiredFactorDto;

  @ApiProperty({ type: FactorDto, description: '(iv) the extent of mitigation' })
  @IsObject()
  @ValidateNested()
  @Type(() => FactorDto)
  mitigation: FactorDto;
}

export class ContactDto {
  @ApiPropertyOptional({ pattern: '^\\+?[0-9 ().-]{7,25}$' })
  @IsOptional()
  @Matches(/^\+?[0-9 ().-]{7,25}$/)
  phone?: string;

  @ApiPropertyOptional({ maxLength: 254 })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ maxLength: 300 })
  @IsOptional()
  @IsUrl({ protocols: ['https'], require_protocol: true })
  @MaxLength(300)
  website?: string;

  @ApiPropertyOptional({ maxLength: 300 })
  @IsOptional()
  @IsString()
  @Matches(/^[^\p{Cc}]{1,300}$/u)
  postalAddress?: string;
}

/** The notice's fixed parts (contact procedures, what we are doing) and the officer's HHS report choices. */
export class NotificationDto extends ReasonDto {
  @ApiProperty({ type: ContactDto, description: 'At least one way to reach us (§164.404(c)(1)(E))' })
  @IsObject()
  @ValidateNested()
  @Type(() => ContactDto)
  contact: ContactDto;

  @ApiProperty({
    maxLength: NOTE_MAX,
    description: 'What we are doing (§164.404(c)(1)(D)); stored encrypted',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(NOTE_MAX)
  whatWeAreDoing: string;

  @ApiPropertyOptional({ enum: BREACH_TYPES })
  @IsOptional()
  @IsIn([...BREACH_TYPES])
  typeOfBreach?: BreachType;

  @ApiPropertyOptional({ enum: BREACH_LOCATIONS })
  @IsOptional()
  @IsIn([...BREACH_LOCATIONS])
  locationOfBreachedInformation?: BreachLocation;

  @ApiPropertyOptional({ enum: SAFEGUARDS, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(SAFEGUARDS.length)
  @ArrayUnique()
  @IsIn([...SAFEGUARDS], { each: true })
  safeguardsInPlace?: Safeguard[];

  @ApiPropertyOptional({ enum: BREACH_ACTIONS, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(BREACH_ACTIONS.length)
  @ArrayUnique()
  @IsIn([...BREACH_ACTIONS], { each: true })
  actionsTaken?: BreachAction[];
}

export class IncidentPageQuery extends PageQuery {}
