import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** RFC 6749 §4.4 client-credentials request (form-encoded). */
export class TokenRequestDto {
  @ApiProperty({ example: 'client_credentials' })
  @IsString()
  @MaxLength(100)
  grant_type: string;

  @ApiPropertyOptional({ description: 'space-separated subset of the client scopes' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  scope?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(40)
  client_id?: string;

  @ApiPropertyOptional({ example: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  client_assertion_type?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  client_assertion?: string;

  @ApiPropertyOptional({ description: 'RFC 8707 resource indicator; must be this API if given' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  resource?: string;

  @ApiPropertyOptional({
    description:
      'wellness apps only: a member-scoped token for this member (members:read on GET /api/v1/members/{member_id} alone, 5 minutes)',
    example: 'mbr_01JD6V4Q2W8X9Y0Z1A2B3C4D5E',
  })
  @IsOptional()
  @Matches(/^mbr_[0-9A-HJKMNP-TV-Z]{26}$/)
  member_id?: string;
}

/** RFC 7009 revocation request (form-encoded), client-authenticated like the token request. */
export class RevocationRequestDto {
  @ApiProperty()
  @IsString()
  @MaxLength(8192)
  token: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(40)
  token_type_hint?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(40)
  client_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  client_assertion_type?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  client_assertion?: string;
}
