/** The command connection. Keys are passed WITHOUT the prefix: use RedisKeys to build them. */
export const REDIS = Symbol('REDIS');
/** A connection kept for SUBSCRIBE / PSUBSCRIBE: a subscribed connection cannot run commands. */
export const REDIS_SUBSCRIBER = Symbol('REDIS_SUBSCRIBER');
