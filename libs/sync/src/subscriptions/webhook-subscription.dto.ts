import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { PageQuery } from '@app/common';
import { SubscriptionDeliveryHealthDto } from './subscription-health.dto';
import { MAX_SUBSCRIPTION_URL_LENGTH } from './subscription-url';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-event-types';

export class CreateWebhookSubscriptionDto {
  @ApiProperty({
    description:
      'https URL whose host resolves only to public addresses (no loopback, private, link-local, CGNAT or metadata); no user info, no fragment',
    maxLength: MAX_SUBSCRIPTION_URL_LENGTH,
    example: 'https://hooks.partner.example/member-sync',
  })
  @IsString()
  @MaxLength(MAX_SUBSCRIPTION_URL_LENGTH)
  url: string;

  @ApiProperty({
    enum: WEBHOOK_EVENT_TYPES,
    isArray: true,
    minItems: 1,
    maxItems: WEBHOOK_EVENT_TYPES.length,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events: WebhookEventType[];
}

export class WebhookSubscriptionParams {
  @Matches(/^sub_[0-9A-HJKMNP-TV-Z]{26}$/)
  subscriptionId: string;
}

export class ListWebhookSubscriptionsQuery extends PageQuery {}

export class CreatedWebhookSubscription {
  @ApiProperty({ example: 'sub_01JD3Q4Z5X6C7V8B9N0M1K2J3H' })
  id: string;

  @ApiProperty({ description: 'shown once: `whsec_` + base64 of 32 random bytes (Standard Webhooks)' })
  secret: string;
}

export class RotatedWebhookSubscriptionSecret extends CreatedWebhookSubscription {
  @ApiProperty({
    format: 'date-time',
    description: 'until then deliveries carry signatures under both the new and the previous secret',
  })
  previousSecretExpiresAt: string;
}

export class WebhookSubscriptionSummaryDto {
  @ApiProperty()
  id: string;

  @ApiProperty()
  url: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true })
  events: string[];

  @ApiProperty({ enum: ['active', 'disabled'] })
  status: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  disabledAt: string | null;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'why deliveries stopped, e.g. `gone` (410) or `failing`',
  })
  disabledReason: string | null;

  @ApiProperty({ type: SubscriptionDeliveryHealthDto })
  health: SubscriptionDeliveryHealthDto;
}

export class WebhookSubscriptionPage {
  @ApiProperty({ type: [WebhookSubscriptionSummaryDto] })
  data: WebhookSubscriptionSummaryDto[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor: string | null;
}
