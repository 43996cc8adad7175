import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsOptional, Matches } from 'class-validator';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import { KeyRotationService } from './key-rotation.service';

export class RotateKeysDto {
  @ApiPropertyOptional({
    description: 'also give every member a new data key and re-encrypt its fields',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  reencrypt?: boolean;
}

export class RotationIdParam {
  @Matches(/^rot_[0-9A-HJKMNP-TV-Z]{26}$/)
  rotationId: string;
}

@ApiTags('admin: keys')
@Controller('admin/keys')
export class KeysController {
  constructor(private readonly rotations: KeyRotationService) {}

  @Post('rotate')
  @HttpCode(202)
  @Scopes('admin:keys:rotate')
  rotate(@Body() dto: RotateKeysDto, @CurrentActor() actor: Actor) {
    return this.rotations.start(actor, { reencrypt: dto.reencrypt ?? false });
  }

  @Get('rotations/:rotationId')
  @Scopes('admin:keys:rotate', 'admin:audit:read')
  status(@Param() { rotationId }: RotationIdParam) {
    return this.rotations.status(rotationId);
  }
}
