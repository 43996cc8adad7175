import { Controller, Get, Header, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import { DeidentifiedExportService } from './deidentified-export.service';

export class DeidentifiedExportQuery {
  @ApiPropertyOptional({ description: 'only this organization’s members' })
  @IsOptional()
  @Matches(/^org_[0-9A-HJKMNP-TV-Z]{26}$/)
  organizationId?: string;
}

const NDJSON = 'application/x-ndjson';

@ApiTags('admin: exports')
@Controller('admin/exports')
export class DeidentifiedExportController {
  constructor(private readonly exports: DeidentifiedExportService) {}

  /** HIPAA Safe Harbor de-identified members, one JSON object per line, for analytics and non-production use. */
  @Get('deidentified')
  @Scopes('admin:exports:deidentified')
  @ApiProduces(NDJSON)
  @ApiOkResponse({ description: 'NDJSON: one de-identified member per line, in id order' })
  @Header('content-disposition', 'attachment; filename="members-deidentified.ndjson"')
  async export(@Query() query: DeidentifiedExportQuery, @CurrentActor() actor: Actor) {
    return new StreamableFile(await this.exports.open(actor, query), { type: NDJSON });
  }
}
