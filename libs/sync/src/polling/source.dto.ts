import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { SOURCE_STATUSES } from './sync-source.entity';
import {
  DEFAULT_POLL_INTERVAL_SECONDS,
  MAX_POLL_INTERVAL_SECONDS,
  MIN_POLL_INTERVAL_SECONDS,
} from './source-rules';

export class CreateSourceDto {
  @ApiProperty({ example: 'prt_01JD3Q4Z5X6C7V8B9N0M1K2J3H', description: 'a membership_system partner' })
  @Matches(/^prt_[0-9A-HJKMNP-TV-Z]{26}$/)
  partnerId: string;

  @ApiProperty({
    description: 'https; public addresses only in production (loopback allowed elsewhere)',
    maxLength: 2048,
  })
  @IsString()
  @MaxLength(2048)
  changeFeedUrl: string;

  @ApiPropertyOptional({
    minimum: MIN_POLL_INTERVAL_SECONDS,
    maximum: MAX_POLL_INTERVAL_SECONDS,
    default: DEFAULT_POLL_INTERVAL_SECONDS,
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_POLL_INTERVAL_SECONDS)
  @Max(MAX_POLL_INTERVAL_SECONDS)
  pollIntervalSeconds?: number;

  @ApiProperty({ description: "the feed's bearer token; stored wrapped by the KEK, never shown again" })
  @IsString()
  @MinLength(16)
  @MaxLength(4096)
  // Visible ASCII only: it goes into an Authorization header as is.
  @Matches(/^[\x21-\x7e]+$/)
  bearerToken: string;
}

export class SourceParams {
  @Matches(/^fds_[0-9A-HJKMNP-TV-Z]{26}$/)
  id: string;
}

export class CreatedSource {
  @ApiProperty({ example: 'fds_01JD3Q4Z5X6C7V8B9N0M1K2J3H' })
  id: string;
}

export class SourceStatusDto {
  @ApiProperty({ enum: SOURCE_STATUSES })
  status: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastSuccessAt: string | null;

  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'seconds since the poller last read the feed to its end (null before the first time)',
  })
  lagSeconds: number | null;

  @ApiProperty({ description: "open reconciliation cases opened by this source's changes" })
  openCases: number;

  @ApiProperty({ description: "this source's poll and backfill jobs that failed after their last attempt" })
  deadLetters: number;
}

export class PollRequestedDto {
  @ApiProperty()
  jobId: string;
}

export class BackfillStatusDto {
  @ApiProperty({ enum: ['none', 'running', 'done', 'failed'] })
  status: string;

  @ApiProperty({ description: 'changes read so far (applied, duplicate, conflict or rejected)' })
  processed: number;

  @ApiProperty({ nullable: true, type: Number, description: "the job's progress, 0-100" })
  progress: number | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  startedAt: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  finishedAt: string | null;
}
