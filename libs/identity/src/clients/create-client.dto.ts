import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  Matches,
} from 'class-validator';
import { PARTNER_SCOPES, type PartnerScope } from '@app/common';
import { CLIENT_AUTH_METHODS, type ClientAuthMethod } from './oauth-client.entity';

export class CreateClientDto {
  @ApiProperty({ enum: CLIENT_AUTH_METHODS })
  @IsIn([...CLIENT_AUTH_METHODS])
  authMethod: ClientAuthMethod;

  @ApiProperty({ enum: PARTNER_SCOPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(PARTNER_SCOPES.length)
  @ArrayUnique()
  @IsIn([...PARTNER_SCOPES], { each: true })
  scopes: PartnerScope[];

  @ApiPropertyOptional({ description: 'Public JWK Set (private_key_jwt only)', type: Object })
  @IsOptional()
  @IsObject()
  jwks?: { keys?: unknown };

  @ApiPropertyOptional({ description: 'base64url SHA-256 of the client certificate (RFC 8705)' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{43}$/)
  certificateThumbprint?: string;
}
