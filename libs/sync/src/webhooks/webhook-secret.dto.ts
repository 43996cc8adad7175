import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '@app/common';

export class PartnerWebhookSecretsParams {
  @Matches(/^prt_[0-9A-HJKMNP-TV-Z]{26}$/)
  partnerId: string;
}

export class WebhookSecretParams extends PartnerWebhookSecretsParams {
  @Matches(/^whs_[0-9A-HJKMNP-TV-Z]{26}$/)
  secretId: string;
}

export class ListWebhookSecretsQuery extends PageQuery {}

export class RevokeWebhookSecretDto {
  @ApiProperty({
    description: 'why (a ticket reference; never PHI), kept with the secret and audited',
    maxLength: 200,
  })
  @IsString()
  // Printable text on one line: it is stored and shown in the audit trail.
  @Matches(/^[^\p{Cc}]{1,200}$/u)
  @MaxLength(200)
  reason: string;
}

export class CreatedWebhookSecret {
  @ApiProperty({ example: 'whs_01JD3Q4Z5X6C7V8B9N0M1K2J3H' })
  id: string;

  @ApiProperty({ description: 'shown once: `whsec_` + base64 of 32 random bytes (Standard Webhooks)' })
  secret: string;
}

export class WebhookSecretSummaryDto {
  @ApiProperty()
  id: string;

  @ApiProperty({ enum: ['active', 'revoked'] })
  status: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  revokedAt: string | null;
}

export class WebhookSecretPage {
  @ApiProperty({ type: [WebhookSecretSummaryDto] })
  data: WebhookSecretSummaryDto[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor: string | null;
}
