export * from './audit.module';
export * from './audit.service';
export * from './alerts.service';
export * from './audit-event.entity';
export * from './alert.entity';
export * from './audit-actor';
