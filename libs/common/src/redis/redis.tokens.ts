/** The shared ioredis client for commands (rate limits, deny lists); BullMQ opens its own. */
export const REDIS = Symbol('REDIS');
