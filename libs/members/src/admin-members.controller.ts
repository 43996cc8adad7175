import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import { BLIND_INDEXED_FIELDS, type MemberField } from './catalog/field-catalog';
import { MemberIdPipe } from './member-id.pipe';
import { MemberSearch } from './member-search.service';

export class MemberSearchDto {
  @ApiProperty({ enum: BLIND_INDEXED_FIELDS })
  @IsIn(BLIND_INDEXED_FIELDS)
  field: MemberField;

  @ApiProperty({ description: 'exact value (sent in the body, never in a URL)', maxLength: 254 })
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  value: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^org_[0-9A-HJKMNP-TV-Z]{26}$/)
  organizationId?: string;
}

@ApiTags('admin: members')
@Controller('admin/members')
export class AdminMembersController {
  constructor(private readonly members: MemberSearch) {}

  @Post('search')
  @HttpCode(200)
  @Scopes('admin:members:read')
  search(@Body() dto: MemberSearchDto, @CurrentActor() actor: Actor) {
    return this.members.search(actor, dto);
  }

  /** §164.528 accounting of disclosures: who received which categories of this member's data, when, why. */
  @Get(':memberId/disclosures')
  @Scopes('admin:members:read', 'admin:audit:read')
  disclosures(@Param('memberId', MemberIdPipe) memberId: string, @CurrentActor() actor: Actor) {
    return this.members.disclosures(actor, memberId);
  }
}
