export * from './deliveries.module';
export * from './deliveries-jobs.module';
export * from './dead-letters.service';
export * from './delivery-retry-schedule';
export * from './delivery-message';
export * from './delivery-outcomes';
