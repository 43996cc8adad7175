export * from './sync.module';
export * from './conflicts/conflict-policy';
