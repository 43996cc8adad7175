// Idempotency-Key for every state-changing request of an authenticated caller (a global interceptor),
// its sealed records and their sweep. It must never store a response body unsealed, nor a key as sent.
import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { IdempotencyDataKeysOwner } from './idempotency-data-keys.owner';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyResponseCipher } from './idempotency-response.cipher';
import { IdempotencyService } from './idempotency.service';
import { IdempotencyStore } from './idempotency.store';
import { IdempotencySweepJob } from './idempotency-sweep.job';

@Module({
  providers: [
    IdempotencyStore,
    IdempotencyResponseCipher,
    IdempotencyDataKeysOwner,
    IdempotencyService,
    IdempotencySweepJob,
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
  ],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
