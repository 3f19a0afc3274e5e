/**
 * Threads: conversations with an agent, and their runs. A run is held by a Redis lock, goes on without
 * its HTTP client, and logs its AI SDK UI message chunks to a Redis stream that any instance replays.
 */
export { ThreadsModule } from './threads.module';
export { ThreadsService } from './threads.service';
export { RunManager, type RunSource } from './runs/run-manager';
export type { RunLogEntry } from './runs/run-store';
export { ChatRequestDto, UIMessageDto } from './dto/ui-message.dto';
export { ThreadDetailDto, ThreadDto, ThreadPageDto, type Thread, type ThreadStatus } from './dto/thread.dto';
