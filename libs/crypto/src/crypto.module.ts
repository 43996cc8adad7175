// Key management: the key-encryption-key provider (and, with the members issue, envelope
// encryption and blind indexes). It must never persist or log a key, nor import a domain lib.
import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@app/common';
import { KeyProvider } from './key-provider';
import { LocalKeyProvider } from './local-key-provider';

@Global()
@Module({
  providers: [
    {
      provide: KeyProvider,
      inject: [AppConfig],
      useFactory: (config: AppConfig): KeyProvider => {
        switch (config.keys.provider) {
          case 'local':
            return new LocalKeyProvider(config.keys.localKekFile);
        }
      },
    },
  ],
  exports: [KeyProvider],
})
export class CryptoModule {}
