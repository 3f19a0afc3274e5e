import type { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import { REDIS, RedisKeys, type AppConfig, type CheckpointsKept } from '@auxilia/core';
import { RedisSaver } from '@auxilia/checkpoint-redis';

/** The LangGraph checkpointer of every thread: a RedisSaver on the shared connection. */
export const CHECKPOINTER: unique symbol = Symbol('CHECKPOINTER');

/** The threads' checkpointer on a connection, under the service's keys, keeping what `keep` says. */
export function threadCheckpointer(redis: Redis, keys: RedisKeys, keep: CheckpointsKept): RedisSaver {
  return new RedisSaver(redis, { keyPrefix: keys.key('cp:'), keep });
}

/** It keeps what CHECKPOINTS_KEEP says: the service reads only a thread's latest checkpoint. */
export const checkpointerProvider: Provider = {
  provide: CHECKPOINTER,
  inject: [REDIS, RedisKeys, ConfigService],
  useFactory: (redis: Redis, keys: RedisKeys, config: ConfigService<AppConfig, true>) =>
    threadCheckpointer(redis, keys, config.get('agents', { infer: true }).checkpointsKeep),
};
