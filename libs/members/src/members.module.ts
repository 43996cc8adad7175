// The member aggregate: ePHI field catalog, envelope-encrypted storage, minimum-necessary projections.
// It must never return a field outside scope ∩ partner ∩ BAA, nor hold a plaintext value outside a request.
import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { VendorsModule } from '@app/vendors';
import { AdminMembersController } from './admin-members.controller';
import { MemberCipher } from './member-cipher';
import { MemberStore } from './member.store';
import { MemberKeysOwner } from './member-keys.owner';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';
import { MemberBatchStore } from './synthetic/member-batch.store';
import { MemberSeeder } from './synthetic/member-seeder';

@Module({
  imports: [IdentityModule, VendorsModule],
  controllers: [MembersController, AdminMembersController],
  providers: [MemberStore, MemberCipher, MembersService, MemberKeysOwner, MemberBatchStore, MemberSeeder],
  exports: [MembersService, MemberSeeder],
})
export class MembersModule {}
