// Consents (member x partner x purpose x categories) and member rights requests (access, amendment, deletion).
// It must never hold member values outside the members service, nor send anything to a partner itself.
import { Global, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { IdentityModule } from '@app/identity';
import { MembersModule } from '@app/members';
import { ConsentObservers } from './consent-observers';
import { Consent } from './consent.entity';
import { ConsentsController } from './consents.controller';
import { ConsentsService } from './consents.service';
import { MemberConsentLookup } from './member-consent.lookup';
import { RightsModule } from './rights/rights.module';

// Global so that sync's observer and the consent service share one registry.
@Global()
@Module({
  imports: [MikroOrmModule.forFeature([Consent]), IdentityModule, MembersModule, RightsModule],
  controllers: [ConsentsController],
  providers: [ConsentObservers, ConsentsService, MemberConsentLookup],
  // RightsModule re-exported: sync (through this global module) registers its amendment subscribers there.
  exports: [ConsentObservers, ConsentsService, RightsModule],
})
export class ConsentModule {}
