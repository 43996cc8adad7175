import { IsOptional, IsString, IsUrl, Matches, MaxLength } from 'class-validator';

/** `PUT /sim/target`: where the sim pushes its webhooks. */
export class TargetDto {
  @IsUrl({ protocols: ['https'], require_protocol: true, require_tld: false })
  @MaxLength(500)
  baseUrl: string;

  @Matches(/^org_[0-9A-HJKMNP-TV-Z]{26}$/)
  organizationId: string;

  @IsString()
  @MaxLength(200)
  clientId: string;

  @IsString()
  @MaxLength(500)
  clientSecret: string;

  @Matches(/^whsec_[A-Za-z0-9+/=]{16,200}$/)
  webhookSecret: string;

  /** PEM of a CA to trust for the target (default: the sim's own certificate, the shared dev cert). */
  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  caPem?: string;
}
