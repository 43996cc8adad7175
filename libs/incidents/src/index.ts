export * from './incidents.module';
export * from './incidents.service';
export * from './notification-deadlines';
export * from './risk-assessment';
