import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { type Actor, CurrentActor, PageQuery, Scopes } from '@app/common';
import { AdminAccountsService } from './admin-accounts.service';
import { ChangeReasonDto } from './registry-change';

export class AdminIdParam {
  @Matches(/^adm_[0-9A-HJKMNP-TV-Z]{26}$/)
  adminId: string;
}

@ApiTags('admin: admins')
@Controller('admin/admins')
export class AdminUsersController {
  constructor(private readonly accounts: AdminAccountsService) {}

  @Get()
  @Scopes('admin:admins:read')
  list(@Query() query: PageQuery) {
    return this.accounts.list(query);
  }

  @Post(':adminId/disable')
  @HttpCode(200)
  @Scopes('admin:admins:write')
  disable(@Param() { adminId }: AdminIdParam, @Body() dto: ChangeReasonDto, @CurrentActor() actor: Actor) {
    return this.accounts.disable(adminId, dto.reason, actor);
  }
}
