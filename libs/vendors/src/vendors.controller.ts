import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import { CreateVendorDto } from './create-vendor.dto';
import { InventoryQuery, ListVendorsQuery, UpdateBaaDto, VendorParams } from './vendor-queries.dto';
import { baaEtag, VendorsService } from './vendors.service';

@ApiTags('admin: vendors')
@Controller('admin/vendors')
export class VendorsController {
  constructor(private readonly vendors: VendorsService) {}

  @Post()
  @HttpCode(201)
  @Scopes('admin:vendors:write')
  create(@Body() dto: CreateVendorDto, @CurrentActor() actor: Actor) {
    return this.vendors.create(dto, actor);
  }

  @Get()
  @Scopes('admin:vendors:read')
  list(@Query() query: ListVendorsQuery) {
    return this.vendors.list(query);
  }

  // Declared before ':vendorId', so 'inventory' is never taken for an id.
  @Get('inventory')
  @Scopes('admin:vendors:read')
  @ApiProduces('application/json', 'text/csv')
  async inventory(@Query() { format }: InventoryQuery, @Res({ passthrough: true }) reply: FastifyReply) {
    if (format !== 'csv') return this.vendors.inventory();
    const { filename, csv } = await this.vendors.inventoryCsv();
    void reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${filename}"`);
    return csv;
  }

  @Get(':vendorId')
  @Scopes('admin:vendors:read')
  async get(@Param() { vendorId }: VendorParams, @Res({ passthrough: true }) reply: FastifyReply) {
    const vendor = await this.vendors.get(vendorId);
    void reply.header('etag', baaEtag(vendor.baa.version));
    return vendor;
  }

  @Put(':vendorId/baa')
  @HttpCode(200)
  @Scopes('admin:vendors:write')
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'ETag of GET: refuses the change (412) if the BAA changed since',
  })
  updateBaa(
    @Param() { vendorId }: VendorParams,
    @Body() dto: UpdateBaaDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
  ) {
    return this.vendors.updateBaa(vendorId, dto, ifMatch, actor);
  }
}
