// The BAA vendor registry and the BAA gate's facts: which categories a vendor may receive today.
// It must never decide what a member's data looks like, only whether a vendor may have a category.
import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { BaaChangeListeners } from './baa-change-listeners';
import { VendorBaaVersion } from './vendor-baa-version.entity';
import { VendorBaaWarning } from './vendor-baa-warning.entity';
import { Vendor } from './vendor.entity';
import { VendorsController } from './vendors.controller';
import { VendorsService } from './vendors.service';

@Module({
  imports: [MikroOrmModule.forFeature([Vendor, VendorBaaVersion, VendorBaaWarning])],
  controllers: [VendorsController],
  providers: [VendorsService, BaaChangeListeners],
  exports: [VendorsService, BaaChangeListeners],
})
export class VendorsModule {}
