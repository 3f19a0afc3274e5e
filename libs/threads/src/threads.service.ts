import { randomUUID } from 'node:crypto';
import { HttpException, Injectable } from '@nestjs/common';
import type { UIMessage } from 'ai';
import type { Observable } from 'rxjs';
import { AgentRuntime, AgentsService } from '@auxilia/agents';
import { ProblemException } from '@auxilia/core';
import type { ChatRequestDto } from './dto/ui-message.dto';
import type {
  CreateThreadDto,
  ListThreadsQueryDto,
  Thread,
  ThreadDetailDto,
  UpdateThreadDto,
} from './dto/thread.dto';
import { RunManager, type ClosingClient } from './runs/run-manager';
import type { RunLogEntry } from './runs/run-store';
import { runActive } from './problems';
import { InvalidCursorError, ThreadsRepository, type ThreadPage } from './threads.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STREAM_POSITION = /^\d{1,20}-\d{1,20}$/;
const TITLE_LENGTH = 80;

@Injectable()
export class ThreadsService {
  constructor(
    private readonly threads: ThreadsRepository,
    private readonly agents: AgentsService,
    private readonly runtime: AgentRuntime,
    private readonly runs: RunManager,
  ) {}

  /** An unknown agent is a 400: the body names something that does not exist, the route does exist. */
  async create(dto: CreateThreadDto): Promise<Thread> {
    try {
      await this.agents.get(dto.agentId);
    } catch (err) {
      if (err instanceof HttpException && err.getStatus() === 404) {
        throw new ProblemException(400, 'unknown-agent', 'Bad Request', `Unknown agent "${dto.agentId}"`, {
          agentId: dto.agentId,
        });
      }
      throw err;
    }
    const now = new Date().toISOString();
    const thread: Thread = {
      id: randomUUID(),
      agentId: dto.agentId,
      title: dto.title ?? null,
      createdAt: now,
      updatedAt: now,
    };
    await this.threads.create(thread);
    return thread;
  }

  async list(query: ListThreadsQueryDto): Promise<ThreadPage> {
    try {
      return await this.threads.list({
        agentId: query.agentId,
        limit: query.limit ?? 20,
        cursor: query.cursor,
      });
    } catch (err) {
      if (err instanceof InvalidCursorError) {
        throw new ProblemException(
          400,
          'invalid-cursor',
          'Bad Request',
          'cursor is not a cursor this API returned',
        );
      }
      throw err;
    }
  }

  async get(id: string): Promise<Thread> {
    const thread = UUID.test(id) ? await this.threads.get(id) : null;
    if (!thread) throw new ProblemException(404, 'not-found', 'Not Found', `No thread "${id}"`);
    return thread;
  }

  async detail(id: string): Promise<ThreadDetailDto> {
    const thread = await this.get(id);
    const [runId, messages] = await Promise.all([this.runs.activeRun(id), this.runtime.loadMessages(id)]);
    return {
      ...thread,
      status: runId ? 'running' : 'idle',
      messages: messages as ThreadDetailDto['messages'],
    };
  }

  async update(id: string, dto: UpdateThreadDto): Promise<Thread> {
    const thread = { ...(await this.get(id)), title: dto.title, updatedAt: new Date().toISOString() };
    await this.threads.update(thread);
    return thread;
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    if (await this.runs.activeRun(id)) throw runActive(id);
    await this.runtime.deleteThread(id);
    await this.runs.forget(id);
    await this.threads.delete(id);
  }

  /**
   * Checks everything that must fail before a run (thread, body, active run, the agent's model and
   * servers), starts the run detached from the request, and returns its log to follow from the start.
   */
  async startRun(id: string, body: ChatRequestDto, client?: ClosingClient): Promise<Observable<RunLogEntry>> {
    // Both reads go out together; their outcomes are still checked in the order of the problems.
    const active = UUID.test(id) ? this.runs.activeRun(id) : Promise.resolve(null);
    active.catch(() => undefined);
    const thread = await this.get(id);
    const userMessage = lastUserMessage(body);
    if (await active) throw runActive(id);
    const prepared = await this.runtime.prepare(thread.agentId);
    const runId = await this.runs.start(id, (signal) =>
      prepared.stream({ threadId: id, userMessage, messageId: body.messageId, signal }),
    );
    // Not awaited: the first token need not wait for it. Its write is already queued on the shared
    // client, ahead of any later request of this instance, so those still read the thread as updated.
    void this.touch(thread, userMessage).catch(() => undefined);
    return this.runs.follow(id, runId, '0', client);
  }

  /** The active run's log after `lastEventId` (or from its start); null when no run is active. */
  async resume(
    id: string,
    lastEventId?: string,
    client?: ClosingClient,
  ): Promise<Observable<RunLogEntry> | null> {
    await this.get(id);
    if (lastEventId !== undefined && !STREAM_POSITION.test(lastEventId)) {
      throw new ProblemException(
        400,
        'validation',
        'Bad Request',
        'Last-Event-ID is not an event id of this stream',
      );
    }
    const runId = await this.runs.activeRun(id);
    return runId ? this.runs.follow(id, runId, lastEventId ?? '0', client) : null;
  }

  async stop(id: string): Promise<void> {
    await this.get(id);
    if (!(await this.runs.stop(id))) {
      throw new ProblemException(409, 'no-active-run', 'No active run', `Thread "${id}" has no run to stop`, {
        error: 'no_active_run',
      });
    }
  }

  /** Bumps `updatedAt` and, for an untitled thread, takes the title from its first message. */
  private async touch(thread: Thread, message: UIMessage): Promise<void> {
    const title =
      thread.title ?? (textOf(message).trim().replace(/\s+/g, ' ').slice(0, TITLE_LENGTH) || null);
    await this.threads.update({ ...thread, title, updatedAt: new Date().toISOString() });
  }
}

function lastUserMessage(body: ChatRequestDto): UIMessage {
  const last = body.messages[body.messages.length - 1];
  if (last.role !== 'user' || !last.parts.some((p) => p.type === 'text' && typeof p.text === 'string')) {
    throw new ProblemException(
      400,
      'validation',
      'Validation failed',
      'The last message must be a user message with a text part',
      {
        errors: [
          {
            field: `messages.${body.messages.length - 1}`,
            messages: ['must be a user message with a text part'],
          },
        ],
      },
    );
  }
  return last as unknown as UIMessage;
}

function textOf(message: UIMessage): string {
  return message.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join(' ');
}
