export * from './incidents.module';
