export * from './crypto.module';
export * from './key-provider';
export * from './local-key-provider';
