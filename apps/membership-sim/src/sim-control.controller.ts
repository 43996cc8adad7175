import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ResourceNotFound } from '@app/common';
import { ControlAccessGuard } from './control-access.guard';
import { DeliveryFaultDto } from './dto/delivery-fault.dto';
import { DeliverySecretsDto } from './dto/delivery-secrets.dto';
import { FeedTokenDto } from './dto/feed-token.dto';
import { GenerateDto } from './dto/generate.dto';
import { PageQueryDto } from './dto/page-query.dto';
import { TargetDto } from './dto/target.dto';
import { DeliveryInbox } from './delivery-inbox';
import { GenerationService } from './generation.service';
import { SimMembers } from './sim-members';
import { SimSettings } from './sim-settings';

/** The control API for tests and the demo (loopback; SIM_CONTROL_TOKEN when set). */
@Controller('sim')
@UseGuards(ControlAccessGuard)
export class SimControlController {
  constructor(
    private readonly generation: GenerationService,
    private readonly members: SimMembers,
    private readonly settings: SimSettings,
    private readonly inbox: DeliveryInbox,
  ) {}

  /** Runs to completion and answers its summary; with `wait: false` answers 202 at once. */
  @Post('generate')
  @HttpCode(200)
  async generate(@Body() body: GenerateDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const { run, done } = await this.generation.start({
      members: body.members,
      changes: body.changes,
      seed: body.seed,
      dropRate: body.dropRate ?? 0,
      duplicateRate: body.duplicateRate ?? 0,
      reorder: body.reorder ?? false,
      delayMs: body.delayMs ?? 0,
      concurrency: body.concurrency ?? 4,
      send: body.send ?? true,
    });
    if (body.wait === false) {
      void reply.code(202);
      return run;
    }
    await done;
    return run;
  }

  @Get('runs/:runId')
  run(@Param('runId') runId: string) {
    const run = this.generation.find(runId);
    if (!run) throw new ResourceNotFound('run');
    return run;
  }

  @Get('members')
  list(@Query() query: PageQueryDto) {
    return this.members.list(query.cursor, query.limit);
  }

  @Get('members/:sourceRef')
  member(@Param('sourceRef') sourceRef: string) {
    return this.members.view(sourceRef);
  }

  @Put('target')
  @HttpCode(204)
  target(@Body() body: TargetDto): void {
    this.settings.setTarget({ ...body });
  }

  @Put('feed-token')
  feedToken(@Body() body: FeedTokenDto) {
    return { token: this.settings.setFeedToken(body.token) };
  }

  @Put('deliveries/secrets')
  @HttpCode(204)
  deliverySecrets(@Body() body: DeliverySecretsDto): void {
    this.settings.setDeliverySecrets(body.secrets);
  }

  @Put('deliveries/faults')
  deliveryFaults(@Body() body: DeliveryFaultDto) {
    this.settings.faults.set({
      status: body.status,
      times: body.times ?? null,
      retryAfterSeconds: body.retryAfterSeconds,
    });
    return { fault: this.settings.faults.current() };
  }

  @Get('deliveries')
  deliveries() {
    return this.inbox.log();
  }
}
