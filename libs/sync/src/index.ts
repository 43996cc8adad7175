export * from './sync.module';
export * from './webhooks/webhooks.module';
export * from './webhooks/webhook-secrets.service';
export * from './idempotency';
export * from './conflicts/conflict-policy';
