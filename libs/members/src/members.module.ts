// The member aggregate: ePHI field catalog, envelope-encrypted storage, minimum-necessary projections.
// It must never return a field outside scope ∩ partner ∩ BAA, nor hold a plaintext value outside a request.
import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { VendorsModule } from '@app/vendors';
import { AdminMembersController } from './admin-members.controller';
import { MemberAccessPolicy } from './member-access.policy';
import { MemberChangeFeedStore } from './member-change-feed.store';
import { MemberChangeFeed } from './member-change-feed.service';
import { MemberChangeObservers } from './member-change-observers';
import { MemberCipher } from './member-cipher';
import { MemberDeletionGuards } from './member-deletion-guards';
import { MemberRecords } from './member-records.service';
import { MemberDirectory } from './member-directory';
import { MemberConsents } from './member-consents';
import { MemberKeysOwner } from './member-keys.owner';
import { MemberNotices } from './member-notices.service';
import { MemberSearch } from './member-search.service';
import { MemberReader } from './member.reader';
import { MemberSealer } from './member.sealer';
import { MemberStore } from './member.store';
import { MemberWriter } from './member.writer';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';
import { MemberBatchStore } from './synthetic/member-batch.store';
import { MemberSeeder } from './synthetic/member-seeder';
import { DeidentifiedExportController } from './deidentification/deidentified-export.controller';
import { DeidentifiedExportService } from './deidentification/deidentified-export.service';
import { MemberSnapshotStore } from './deidentification/member-snapshot.store';

@Module({
  imports: [IdentityModule, VendorsModule],
  controllers: [MembersController, AdminMembersController, DeidentifiedExportController],
  providers: [
    MemberStore,
    MemberCipher,
    MemberSealer,
    MemberAccessPolicy,
    MemberReader,
    MemberWriter,
    MembersService,
    MemberSearch,
    MemberKeysOwner,
    MemberDirectory,
    MemberSnapshotStore,
    DeidentifiedExportService,
    MemberBatchStore,
    MemberSeeder,
    MemberChangeObservers,
    MemberChangeFeedStore,
    MemberChangeFeed,
    MemberNotices,
    MemberConsents,
    MemberDeletionGuards,
    MemberRecords,
  ],
  exports: [
    MembersService,
    MemberReader,
    MemberWriter,
    MemberAccessPolicy,
    MemberSeeder,
    MemberChangeObservers,
    MemberChangeFeed,
    MemberNotices,
    MemberConsents,
    MemberDeletionGuards,
    MemberRecords,
  ],
})
export class MembersModule {}
