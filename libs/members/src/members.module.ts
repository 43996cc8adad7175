// The member aggregate: ePHI field catalog, envelope-encrypted storage, minimum-necessary projections.
// It must never return a field outside scope ∩ partner ∩ BAA, nor hold a plaintext value outside a request.
import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { VendorsModule } from '@app/vendors';
import { AdminMembersController } from './admin-members.controller';
import { MemberCipher } from './member-cipher';
import { MemberStore } from './member.store';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';

@Module({
  imports: [IdentityModule, VendorsModule],
  controllers: [MembersController, AdminMembersController],
  providers: [MemberStore, MemberCipher, MembersService],
  exports: [MembersService],
})
export class MembersModule {}
