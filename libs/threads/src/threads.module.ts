import { Module } from '@nestjs/common';
import { AgentsModule } from '@auxilia/agents';
import { RedisThreadsRepository } from './redis-threads.repository';
import { RunManager } from './runs/run-manager';
import { ThreadStreamController } from './thread-stream.controller';
import { ThreadsController } from './threads.controller';
import { ThreadsRepository } from './threads.repository';
import { ThreadsService } from './threads.service';

@Module({
  imports: [AgentsModule],
  controllers: [ThreadsController, ThreadStreamController],
  providers: [ThreadsService, RunManager, { provide: ThreadsRepository, useClass: RedisThreadsRepository }],
  exports: [ThreadsService, RunManager],
})
export class ThreadsModule {}
