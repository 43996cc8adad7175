// Consents (member x partner x purpose x categories) and member rights requests (access, amendment, deletion).
// It must never hold member values outside the members service, nor send anything to a partner itself.
import { Global, Module } from '@nestjs/common';
import { ConsentObservers } from './consent-observers';

// Global so that sync's observer and the consent service share one registry.
@Global()
@Module({
  providers: [ConsentObservers],
  exports: [ConsentObservers],
})
export class ConsentModule {}
