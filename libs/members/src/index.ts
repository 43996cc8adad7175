export * from './members.module';
export * from './members.service';
export * from './catalog/field-catalog';
export * from './catalog/member-schema';
export * from './projection';
export * from './synthetic/synthetic-member.generator';
export * from './synthetic/member-seeder';
