export * from './vendors.module';
export * from './vendors.service';
export * from './vendor.entity';
export * from './vendor.errors';
export * from './baa';
