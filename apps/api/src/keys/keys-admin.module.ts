import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { KeyRotationService } from './key-rotation.service';
import { KeysController } from './keys.controller';

/** KEK rotation administration: start a run, follow its progress (the worker does the work). */
@Module({
  imports: [IdentityModule],
  controllers: [KeysController],
  providers: [KeyRotationService],
  exports: [KeyRotationService],
})
export class KeysAdminModule {}
