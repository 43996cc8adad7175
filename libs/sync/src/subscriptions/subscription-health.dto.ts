import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

export class SubscriptionStatusParams {
  @Matches(/^sub_[0-9A-HJKMNP-TV-Z]{26}$/)
  id: string;
}

/** How deliveries to one subscription fare (the partner's list shows it as `health`). */
export class SubscriptionDeliveryHealthDto {
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'last 2xx from the endpoint',
  })
  lastSuccessAt: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'last failed attempt' })
  lastFailureAt: string | null;

  @ApiProperty({
    description:
      'age in seconds of the oldest change still waiting to be delivered (queued or between retries); 0 when none waits',
    minimum: 0,
  })
  lagSeconds: number;

  @ApiProperty({
    description: 'changes waiting to be delivered (queued, running or between retries)',
    minimum: 0,
  })
  pendingDeliveries: number;

  @ApiProperty({
    description: 'deliveries that failed their last attempt (replayable by operators)',
    minimum: 0,
  })
  deadLetters: number;

  @ApiProperty({ description: 'failed attempts since the last 2xx', minimum: 0 })
  consecutiveFailures: number;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'first failure of the current run (null after a 2xx)',
  })
  failingSince: string | null;
}

export class SubscriptionStatusDto extends SubscriptionDeliveryHealthDto {
  @ApiProperty({ enum: ['active', 'disabled'] })
  status: string;

  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'why deliveries stopped: `deleted` (by the partner), `gone` (410) or `failing`; null while active',
  })
  disabledReason: string | null;

  @ApiProperty({
    description:
      "deliveries parked while the partner's BAA is not in effect or the partner is suspended; resumed when that ends",
    minimum: 0,
  })
  parkedDeliveries: number;
}
