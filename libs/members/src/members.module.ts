// The member aggregate: reads and writes of members, always through the BOLA gate and audited.
// It must never decide who a caller is (identity does) nor return a member outside the caller's organizations.
import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { IdentityModule } from '@app/identity';
import { Member } from './member.entity';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';

@Module({
  imports: [IdentityModule, MikroOrmModule.forFeature([Member])],
  controllers: [MembersController],
  providers: [MembersService],
  exports: [MembersService],
})
export class MembersModule {}
