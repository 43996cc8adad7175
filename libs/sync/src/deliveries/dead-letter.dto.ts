import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, Matches } from 'class-validator';

/** A dead letter's id: the BullMQ job id of the delivery's last attempt (opaque ids only). */
export const DEAD_LETTER_ID_PATTERN =
  /^obx_[0-9A-HJKMNP-TV-Z]{26}\.sub_[0-9A-HJKMNP-TV-Z]{1,40}(\.r\d{1,4})?(\.a\d{1,3})?$/;

export class DeadLetterParams {
  @ApiProperty({ pattern: DEAD_LETTER_ID_PATTERN.source })
  @Matches(DEAD_LETTER_ID_PATTERN)
  id: string;
}

export class BulkReplayDto {
  @ApiPropertyOptional({
    type: [String],
    maxItems: 1000,
    description: 'dead letters to replay; absent = every dead letter',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @Matches(DEAD_LETTER_ID_PATTERN, { each: true })
  ids?: string[];
}

export class DeadLetterDto {
  @ApiProperty() id: string;
  @ApiProperty() outboxId: string;
  @ApiProperty() subscriptionId: string;
  @ApiProperty() partnerId: string;
  @ApiProperty() memberId: string;
  @ApiProperty({ description: 'the attempt that failed last' }) attempts: number;
  @ApiProperty({
    description: 'status_<code>, timeout, dns, tls, connection, refused_<rule> or internal_error',
  })
  lastOutcome: string;
  @ApiProperty({ nullable: true, type: String }) failedAt: string | null;
}

export class DeadLetterListDto {
  @ApiProperty({ type: [DeadLetterDto] }) data: DeadLetterDto[];
}

export class ReplayResultDto {
  @ApiProperty() replayed: number;
}
