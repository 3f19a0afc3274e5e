import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/config';
import { createRedisClient } from './redis-connection';
import { RedisKeys } from './redis-keys';
import { REDIS, REDIS_SUBSCRIBER } from './redis.tokens';

@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([quit(this.redis), quit(this.subscriber)]);
  }
}

async function quit(client: Redis): Promise<void> {
  // QUIT lets pending replies arrive; a client that is not connected is just dropped.
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) =>
        createRedisClient(config.get('redis'), 'commands'),
    },
    {
      provide: REDIS_SUBSCRIBER,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) =>
        createRedisClient(config.get('redis'), 'subscriber'),
    },
    {
      provide: RedisKeys,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => new RedisKeys(config.get('redis').keyPrefix),
    },
    RedisLifecycle,
  ],
  exports: [REDIS, REDIS_SUBSCRIBER, RedisKeys],
})
export class RedisModule {}
