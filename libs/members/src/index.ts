export * from './members.module';
export * from './members.service';
