// HTTP access control for the API process only: the passport-jwt strategy, the global access guard
// and the admin check for non-Nest routes. Passport strategies are process-global, so only the
// process that serves HTTP registers one (a worker in the same process must not replace it).
import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { IdentityModule } from '../identity.module';
import { AccessGuard } from './access.guard';
import { AdminRequestVerifier } from './admin-request-verifier';
import { JwtStrategy } from './jwt.strategy';

@Module({
  imports: [PassportModule, IdentityModule],
  providers: [JwtStrategy, AccessGuard, AdminRequestVerifier],
  exports: [AccessGuard, AdminRequestVerifier],
})
export class AccessModule {}
