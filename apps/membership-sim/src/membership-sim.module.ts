import { Module } from '@nestjs/common';

/**
 * A stand-in membership system (change feed + webhook sender) for the demo, e2e tests and
 * benchmarks. The sync issue gives it routes; libs never import it.
 */
@Module({})
export class MembershipSimModule {}
