import { Controller, HttpCode, Post, Req, Res, type RawBodyRequest } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DeliveryInbox } from './delivery-inbox';

/** Changes our API delivers back to the membership system: authenticated by their signature. */
@Controller('sim/deliveries')
export class DeliveriesController {
  constructor(private readonly inbox: DeliveryInbox) {}

  @Post()
  @HttpCode(200)
  async receive(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const outcome = await this.inbox.receive(request.headers, request.rawBody);
    void reply.code(outcome.status);
    if (outcome.retryAfterSeconds !== undefined)
      void reply.header('retry-after', String(outcome.retryAfterSeconds));
    return outcome.body;
  }
}
