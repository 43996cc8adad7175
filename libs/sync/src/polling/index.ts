export * from './polling.module';
export * from './polling-jobs.module';
export * from './sources.service';
export * from './source-poller';
export { SourcesStore, type SourceState } from './sources.store';
