import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import { CreateVendorDto } from './create-vendor.dto';
import { VendorsService } from './vendors.service';

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

  @Get(':vendorId')
  @Scopes('admin:vendors:read')
  get(@Param('vendorId') vendorId: string) {
    return this.vendors.get(vendorId);
  }
}
