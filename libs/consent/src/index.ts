export * from './consent.module';
export * from './consent-observers';
