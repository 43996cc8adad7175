import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Scopes } from '@app/common';
import { SubscriptionStatusDto, SubscriptionStatusParams } from './subscription-health.dto';
import { SubscriptionHealthService } from './subscription-health.service';

/** Any partner's subscription, for operators: the same admin roles as a source's status. */
@ApiTags('admin: webhook subscriptions')
@Controller('admin/webhook-subscriptions')
export class SubscriptionStatusController {
  constructor(private readonly health: SubscriptionHealthService) {}

  @Get(':id/status')
  @Scopes('admin:credentials:write', 'admin:partners:read')
  @ApiOkResponse({ type: SubscriptionStatusDto })
  status(@Param() { id }: SubscriptionStatusParams) {
    return this.health.status(id);
  }
}
