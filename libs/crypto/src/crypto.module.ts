// Key management: the key-encryption-key provider, per-member data keys, blind indexes and service
// secrets. It must never persist an unwrapped key, log a key, nor import a domain lib.
import { Global, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '@app/common';
import { AwsKmsKeyProvider } from './aws-kms-key-provider';
import { KeyProvider } from './key-provider';
import { LocalKeyProvider } from './local-key-provider';
import { VaultTransitKeyProvider } from './vault-transit-key-provider';
import { BlindIndexService } from './blind-index.service';
import { DataKeysService } from './data-keys.service';
import { SystemSecret } from './system-secret.entity';
import { SystemSecretsService } from './system-secrets.service';
import { KeyRotation } from './key-rotation.entity';
import { KeyRotationRunner } from './key-rotation.runner';
import { SignedCursors } from './signed-cursors.service';
import { SystemSecretsOwner } from './system-secrets.owner';
import { WrappedSecretOwners } from './wrapped-secret-owners';

@Global()
@Module({
  imports: [MikroOrmModule.forFeature([SystemSecret, KeyRotation])],
  providers: [
    DataKeysService,
    SystemSecretsService,
    BlindIndexService,
    WrappedSecretOwners,
    SystemSecretsOwner,
    KeyRotationRunner,
    SignedCursors,
    {
      provide: KeyProvider,
      inject: [AppConfig],
      useFactory: (config: AppConfig): KeyProvider => {
        switch (config.keys.provider) {
          case 'local':
            return new LocalKeyProvider(config.keys.localKekFile);
          case 'aws-kms':
            return new AwsKmsKeyProvider(config.keys.awsKms);
          case 'vault-transit':
            return new VaultTransitKeyProvider(config.keys.vaultTransit);
        }
      },
    },
  ],
  exports: [
    KeyProvider,
    DataKeysService,
    SystemSecretsService,
    BlindIndexService,
    WrappedSecretOwners,
    KeyRotationRunner,
    SignedCursors,
  ],
})
export class CryptoModule {}
