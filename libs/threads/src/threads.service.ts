import { randomUUID } from 'node:crypto';
import { HttpException, Injectable } from '@nestjs/common';
import type { UIMessage } from 'ai';
import type { Observable } from 'rxjs';
import { AgentRuntime, AgentsService, type ApprovalAnswer } from '@auxilia/agents';
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
    const [runId, { messages, pending }] = await Promise.all([
      this.runs.activeRun(id),
      this.runtime.loadThread(id),
    ]);
    return {
      ...thread,
      status: runId ? 'running' : pending.length > 0 ? 'awaiting_approval' : 'idle',
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
    const turn = readTurn(body);
    if (await active) throw runActive(id);
    const prepared = await this.runtime.prepare(thread.agentId);
    // The run's source lives as long as the run: it holds what the turn reads, not the body, which
    // carries the whole conversation as the AI SDK client sends it.
    const { userMessage, approvals } = turn;
    const { messageId } = body;
    const runId = approvals
      ? await this.runs.start(
          id,
          (signal) => prepared.stream({ threadId: id, approvals, signal }),
          () => this.checkAnswers(id, approvals),
        )
      : await this.runs.start(id, (signal) =>
          prepared.stream({ threadId: id, userMessage, messageId, signal }),
        );
    // Not awaited: the first token need not wait for it. Its write is already queued on the shared
    // client, ahead of any later request of this instance, so those still read the thread as updated.
    void this.touch(thread, userMessage).catch(() => undefined);
    return this.runs.follow(id, runId, '0', client);
  }

  /**
   * Answers must be to approvals the thread waits for now (409 otherwise: answered already, or never
   * asked), and all of them at once (400), as the AI SDK client sends them.
   */
  private async checkAnswers(id: string, answers: ApprovalAnswer[]): Promise<void> {
    const pending = new Set((await this.runtime.pendingApprovals(id)).map((a) => a.approvalId));
    const stale = answers.filter((a) => !pending.has(a.approvalId)).map((a) => a.approvalId);
    if (stale.length > 0) {
      throw new ProblemException(
        409,
        'approval-not-pending',
        'Approval not pending',
        `No pending approval ${stale.map((a) => `"${a}"`).join(', ')} on thread "${id}": it was answered already or never requested`,
        { error: 'approval_not_pending', approvalIds: stale },
      );
    }
    const answered = new Set(answers.map((a) => a.approvalId));
    const missing = [...pending].filter((a) => !answered.has(a));
    if (missing.length > 0) {
      throw new ProblemException(
        400,
        'approvals-incomplete',
        'Bad Request',
        `Answer every pending approval of the step together; missing ${missing.map((a) => `"${a}"`).join(', ')}`,
        { approvalIds: missing },
      );
    }
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
  private async touch(thread: Thread, message: UIMessage | undefined): Promise<void> {
    const text = message ? textOf(message).trim().replace(/\s+/g, ' ').slice(0, TITLE_LENGTH) : '';
    const title = thread.title ?? (text || null);
    await this.threads.update({ ...thread, title, updatedAt: new Date().toISOString() });
  }
}

type Turn =
  | { userMessage: UIMessage; approvals?: undefined }
  | { approvals: ApprovalAnswer[]; userMessage?: undefined };

const REASON_LENGTH = 2000;

/**
 * What the last message asks for: a user message with text is a new turn; the assistant message whose
 * tool parts the user answered (`approval-responded`, as `addToolApprovalResponse` leaves them) resumes
 * the run paused on them.
 */
function readTurn(body: ChatRequestDto): Turn {
  const index = body.messages.length - 1;
  const last = body.messages[index];
  if (last.role === 'user' && last.parts.some((p) => p.type === 'text' && typeof p.text === 'string')) {
    return { userMessage: last as unknown as UIMessage };
  }
  const approvals: ApprovalAnswer[] = [];
  if (last.role === 'assistant') {
    for (const part of last.parts) {
      if (part.state !== 'approval-responded') continue;
      const approval = part.approval as { id?: unknown; approved?: unknown; reason?: unknown } | undefined;
      const valid =
        typeof approval?.id === 'string' &&
        approval.id.length > 0 &&
        approval.id.length <= 200 &&
        typeof approval.approved === 'boolean' &&
        (approval.reason === undefined ||
          (typeof approval.reason === 'string' && approval.reason.length <= REASON_LENGTH));
      if (!valid) throw invalidLast(index, `has an approval that is not {id, approved, reason?}`);
      approvals.push({
        approvalId: approval.id as string,
        approved: approval.approved as boolean,
        ...(approval.reason ? { reason: approval.reason as string } : {}),
      });
    }
    if (approvals.length > 0) return { approvals };
  }
  throw invalidLast(
    index,
    'must be a user message with a text part, or the assistant message with approval responses',
  );
}

function invalidLast(index: number, message: string): ProblemException {
  return new ProblemException(400, 'validation', 'Validation failed', `The last message ${message}`, {
    errors: [{ field: `messages.${index}`, messages: [message] }],
  });
}

function textOf(message: UIMessage): string {
  return message.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join(' ');
}
