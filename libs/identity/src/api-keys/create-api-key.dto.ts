import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, MaxLength } from 'class-validator';
import { API_KEY_SCOPES, type PartnerScope } from '@app/common';

export class CreateApiKeyDto {
  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(API_KEY_SCOPES.length)
  @ArrayUnique()
  @IsIn([...API_KEY_SCOPES], { each: true })
  scopes: PartnerScope[];

  @ApiProperty({ type: [String], description: 'CIDR blocks (or single addresses) the key may be used from' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(49, { each: true })
  allowedCidrs: string[];
}
