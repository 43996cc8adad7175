import { Body, Controller, Get, HttpCode, Param, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDateString,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import { AlertsService } from './alerts.service';
import { AuditService } from './audit.service';
import { auditActor } from './audit-actor';
import { AuditVerifierService } from './chain/audit-verifier.service';
import { AuditQueryService } from './query/audit-query.service';
import { EXPORT_FORMATS, type ExportFormat } from './query/siem-formats';

export class AuditFilterQuery {
  @ApiPropertyOptional({ description: 'actor id (client, API key or admin id)' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9:_.-]{1,40}$/)
  actor?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^mbr_[0-9A-HJKMNP-TV-Z]{26}$/)
  memberId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^[a-z_.]{1,80}$/)
  action?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure', 'denied'] })
  @IsOptional()
  @IsIn(['success', 'failure', 'denied'])
  outcome?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true })
  to?: string;
}

export class AuditSearchQuery extends AuditFilterQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @Matches(/^[A-Za-z0-9_-]+$/)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class AuditExportQuery extends AuditFilterQuery {
  @ApiProperty({ enum: EXPORT_FORMATS })
  @IsIn([...EXPORT_FORMATS])
  format: ExportFormat;
}

export class VerifyQuery {
  @ApiPropertyOptional({
    description: 'recompute from the first event instead of the last verified checkpoint',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  full?: string;
}

export class AcknowledgeAlertDto {
  @ApiProperty({ maxLength: 1000 })
  @IsString()
  @MaxLength(1000)
  note: string;
}

export class AlertIdParam {
  @Matches(/^alr_[0-9A-HJKMNP-TV-Z]{26}$/)
  alertId: string;
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson',
  ecs: 'application/x-ndjson',
  cef: 'text/plain; charset=utf-8',
};

@ApiTags('admin: audit')
@Controller('admin')
export class AuditAdminController {
  constructor(
    private readonly query: AuditQueryService,
    private readonly verifier: AuditVerifierService,
    private readonly alerts: AlertsService,
    private readonly audit: AuditService,
  ) {}

  @Get('audit/events')
  @Scopes('admin:audit:read')
  search(@Query() q: AuditSearchQuery) {
    const beforeSeq = q.cursor
      ? Number(Buffer.from(q.cursor, 'base64url').toString()) || undefined
      : undefined;
    return this.query.search(q, { beforeSeq, limit: q.limit ?? 100 });
  }

  @Get('audit/export')
  @Scopes('admin:audit:read')
  async export(@Query() q: AuditExportQuery, @CurrentActor() actor: Actor) {
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action: 'audit.export',
      outcome: 'success',
      statusCode: 200,
      reason: `format:${q.format}`,
    });
    return new StreamableFile(this.query.exportStream(q, q.format), { type: CONTENT_TYPES[q.format] });
  }

  @Get('audit/verify')
  @Scopes('admin:audit:read')
  verify(@Query() q: VerifyQuery) {
    return this.verifier.verify({ full: q.full === 'true' });
  }

  @Get('alerts')
  @Scopes('admin:alerts:read')
  listAlerts() {
    return this.alerts.list();
  }

  @Post('alerts/:alertId/acknowledge')
  @HttpCode(200)
  @Scopes('admin:alerts:write')
  acknowledge(
    @Param() { alertId }: AlertIdParam,
    @Body() dto: AcknowledgeAlertDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.alerts.acknowledge(alertId, dto.note, actor);
  }
}
