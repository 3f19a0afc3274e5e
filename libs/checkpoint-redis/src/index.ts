export { ReadHandover } from './read-handover';
export { RedisSaver, type RedisSaverOptions } from './redis-saver';
export { FastJsonPlusSerializer } from './serde';
