export * from './keys.module';
export * from './key-rotation.service';
