import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import {
  CreateWebhookSubscriptionDto,
  CreatedWebhookSubscription,
  ListWebhookSubscriptionsQuery,
  RotatedWebhookSubscriptionSecret,
  WebhookSubscriptionPage,
  WebhookSubscriptionParams,
} from './webhook-subscription.dto';
import { WebhookSubscriptionsService } from './webhook-subscriptions.service';

@ApiTags('webhook subscriptions')
@Controller('webhook-subscriptions')
export class WebhookSubscriptionsController {
  constructor(private readonly subscriptions: WebhookSubscriptionsService) {}

  /** The secret is generated and shown only in this answer. */
  @Post()
  @HttpCode(201)
  @Scopes('subscriptions:manage')
  @ApiCreatedResponse({ type: CreatedWebhookSubscription })
  create(@Body() dto: CreateWebhookSubscriptionDto, @CurrentActor() actor: Actor) {
    return this.subscriptions.create(actor, dto);
  }

  @Get()
  @Scopes('subscriptions:manage')
  @ApiOkResponse({ type: WebhookSubscriptionPage })
  list(@Query() query: ListWebhookSubscriptionsQuery, @CurrentActor() actor: Actor) {
    return this.subscriptions.list(actor, query);
  }

  @Delete(':subscriptionId')
  @HttpCode(204)
  @Scopes('subscriptions:manage')
  @ApiNoContentResponse()
  async delete(@Param() { subscriptionId }: WebhookSubscriptionParams, @CurrentActor() actor: Actor) {
    await this.subscriptions.delete(actor, subscriptionId);
  }

  @Post(':subscriptionId/rotate-secret')
  @HttpCode(200)
  @Scopes('subscriptions:manage')
  @ApiOkResponse({ type: RotatedWebhookSubscriptionSecret })
  rotateSecret(@Param() { subscriptionId }: WebhookSubscriptionParams, @CurrentActor() actor: Actor) {
    return this.subscriptions.rotateSecret(actor, subscriptionId);
  }
}
