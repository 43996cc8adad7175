export * from './sync-health.module';
export * from './sync-health.service';
export { SOURCE_STATUSES, type SourceStatus } from '../polling/sync-source.entity';
