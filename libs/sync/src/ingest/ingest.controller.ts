import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Scopes, SignedWebhook } from '@app/common';
import { MemberIdPipe } from '@app/members';
import { BATCH_RESULT_SCHEMA, UPDATE_RESULT_SCHEMA } from './ingest-results.schema';
import { IngestService } from './ingest.service';
import { RouteBodyLimit } from './route-body-limits';
import { BATCH_DOCUMENT_SCHEMA, UPDATE_SCHEMA } from './update-schemas';

@ApiTags('sync')
@Controller()
export class IngestController {
  constructor(private readonly ingest: IngestService) {}

  @Post('members/:memberId/updates')
  @HttpCode(200)
  @Scopes('sync:write')
  @SignedWebhook()
  @ApiBody({ schema: UPDATE_SCHEMA })
  @ApiOkResponse({ schema: UPDATE_RESULT_SCHEMA })
  update(
    @Param('memberId', MemberIdPipe) memberId: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
  ) {
    return this.ingest.update(actor, memberId, body);
  }

  @Post('sync/batches')
  @HttpCode(200)
  // A full batch (1,000 updates) is larger than the global 1 MB: SYNC_BATCH_BODY_LIMIT_BYTES.
  @RouteBodyLimit('syncBatch')
  @Scopes('sync:write')
  @SignedWebhook()
  @ApiBody({ schema: BATCH_DOCUMENT_SCHEMA })
  @ApiOkResponse({ schema: BATCH_RESULT_SCHEMA })
  batch(@Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.ingest.batch(actor, body);
  }
}
