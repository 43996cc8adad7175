export * from './outbox.module';
export * from './outbox-jobs.module';
export * from './outbox-relay.service';
export * from './outbox.errors';
export type { OutboxEntry, OutboxTopic } from './outbox-entry';
