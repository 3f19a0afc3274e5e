export { READ_HANDOVER_KEY, ReadHandover } from './read-handover';
export { RedisSaver, type RedisSaverOptions } from './redis-saver';
