import { Controller, Get, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Public } from '@app/common';
import { RightsExportParams, RightsExportQuery } from './rights-requests.dto';
import { RightsExportsService } from './rights-exports.service';

/**
 * The one-time download of an access request's export. Public: the opaque 256-bit token is the
 * capability (no PHI in the URL); it works once, within 15 minutes.
 */
@ApiTags('rights exports')
@Controller('rights-exports')
export class RightsExportsController {
  constructor(private readonly exports: RightsExportsService) {}

  @Get(':token')
  @Public()
  @ApiProduces('application/json', 'application/fhir+json')
  async download(
    @Param() { token }: RightsExportParams,
    @Query() { format }: RightsExportQuery,
    @CurrentActor() actor: Actor,
  ): Promise<StreamableFile> {
    const file = await this.exports.download(actor, token, format ?? 'json');
    return new StreamableFile(file.content, {
      type: file.contentType,
      disposition: `attachment; filename="${file.filename}"`,
    });
  }
}
