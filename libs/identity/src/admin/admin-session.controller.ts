import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { AuthRateLimited, Public } from '@app/common';
import { AdminSessionsService } from './admin-sessions.service';

export class AdminLoginDto {
  @ApiProperty({ maxLength: 254 })
  @IsString()
  @MaxLength(254)
  email: string;

  @ApiProperty({ maxLength: 256 })
  @IsString()
  @MaxLength(256)
  password: string;

  @ApiProperty({ pattern: '^\\d{6}$' })
  @Matches(/^\d{6}$/)
  totp: string;
}

export class AdminRefreshDto {
  @ApiProperty()
  @IsString()
  @MaxLength(100)
  refreshToken: string;
}

@ApiTags('admin: session')
@Controller('admin/session')
export class AdminSessionController {
  constructor(private readonly sessions: AdminSessionsService) {}

  @Post()
  @Public()
  @AuthRateLimited()
  @HttpCode(200)
  login(@Req() request: FastifyRequest, @Body() dto: AdminLoginDto) {
    return this.sessions.login(request, dto);
  }

  @Post('refresh')
  @Public()
  @AuthRateLimited()
  @HttpCode(200)
  refresh(@Req() request: FastifyRequest, @Body() dto: AdminRefreshDto) {
    return this.sessions.refresh(request, dto.refreshToken);
  }
}
