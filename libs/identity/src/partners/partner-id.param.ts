import { IsOptional, Matches } from 'class-validator';

export class PartnerIdParam {
  @Matches(/^prt_[0-9A-HJKMNP-TV-Z]{26}$/)
  partnerId: string;

  @IsOptional()
  @Matches(/^key_[0-9A-HJKMNP-TV-Z]{26}$/)
  keyId?: string;

  @IsOptional()
  @Matches(/^cli_[0-9A-HJKMNP-TV-Z]{26}$/)
  clientId?: string;
}
