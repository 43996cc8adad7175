// KEK rotation: the admin routes that start and follow a run, and the worker job that carries it out.
// It must never hold a key or a plaintext; the re-wrapping itself is crypto's KeyRotationRunner.
import { Module } from '@nestjs/common';
import { KeyRotationService } from './key-rotation.service';
import { KeysController } from './keys.controller';
import { RotateKeysJob } from './rotate-keys.job';

/**
 * A lib of its own, not part of libs/crypto: a run is audited (AuditService, a domain lib) and
 * crypto depends on no domain lib (DESIGN §2). The importing app also imports every lib that owns
 * wrapped secrets (identity, members), so a run counts and re-wraps all of them.
 */
@Module({
  controllers: [KeysController],
  providers: [KeyRotationService, RotateKeysJob],
  exports: [KeyRotationService],
})
export class KeysModule {}
