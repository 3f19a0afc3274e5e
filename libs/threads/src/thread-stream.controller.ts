import {
  Body,
  Controller,
  Header,
  Headers,
  HttpCode,
  Param,
  Post,
  Req,
  RequestMethod,
  Res,
  Sse,
  type MessageEvent,
} from '@nestjs/common';
import {
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { EMPTY, type Observable } from 'rxjs';
import { ApiProblems, RateLimit } from '@auxilia/core';
import { ChatRequestDto } from './dto/ui-message.dto';
import { toEvents, withKeepAlive } from './sse-events';
import { ThreadsService } from './threads.service';

/*
 * The AI SDK's UI message stream headers. Nest's SSE writer sets content-type, connection and
 * x-accel-buffering itself and replaces cache-control with a stricter `private, no-cache, no-store, ...`,
 * which the AI SDK does not read; the protocol marker header passes through as set here.
 */
const UiMessageStreamHeaders =
  () => (target: object, key: string | symbol, descriptor: PropertyDescriptor) => {
    Header('content-type', 'text/event-stream')(target, key, descriptor);
    Header('cache-control', 'no-cache')(target, key, descriptor);
    Header('connection', 'keep-alive')(target, key, descriptor);
    Header('x-vercel-ai-ui-message-stream', 'v1')(target, key, descriptor);
    Header('x-accel-buffering', 'no')(target, key, descriptor);
  };

const STREAM_RESPONSE = {
  description:
    'The UI message stream v1 as Server-Sent Events: `data: <chunk JSON>` with `id` = the chunk position in the run log, ending with `data: [DONE]`.',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
};

@ApiTags('threads')
@Controller('threads')
export class ThreadStreamController {
  constructor(private readonly threads: ThreadsService) {}

  @Sse(':id/stream', { method: RequestMethod.POST })
  @RateLimit('stream')
  @HttpCode(200)
  @UiMessageStreamHeaders()
  @ApiOperation({
    operationId: 'streamThread',
    summary: 'Send a message and stream the answer',
    description:
      "Takes the AI SDK `DefaultChatTransport` body; only the last message is read, the history comes from the thread. A user message with text starts a turn. When the thread awaits approval, the assistant message whose tool parts were answered with `addToolApprovalResponse` (state `approval-responded`) resumes the paused run: approved calls run, denied ones end as `tool-output-denied` and the model is told. A run that calls a tool needing approval streams `tool-approval-request` chunks and finishes. The thread id in the path wins over the body's `id`. The run goes on if the client disconnects: resume it with `GET /threads/{id}/stream`. Errors found before the run starts are problem JSON; later ones are an `error` chunk followed by `finish`.",
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse(STREAM_RESPONSE)
  @ApiProblems(
    [
      400,
      'Invalid body; the last message is neither a user message with text nor approval answers; or not every pending approval is answered (`approvals-incomplete`)',
    ],
    [401, 'An MCP server of the agent needs authorization (`error: oauth_required`)'],
    [404, 'No thread with this id'],
    [
      409,
      'A run is already active on this thread (`run_active`), or an answered approval is not pending (`approval_not_pending`: answered already or never requested)',
    ],
    [502, 'An MCP server of the agent failed'],
    [503, 'No model configured, or this instance is shutting down'],
    [504, 'An MCP server of the agent timed out'],
  )
  async stream(
    @Param('id') id: string,
    @Body() body: ChatRequestDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Observable<MessageEvent>> {
    const log = await this.threads.startRun(id, body, res);
    releaseBody(req, body);
    return withKeepAlive(toEvents(log));
  }

  @Sse(':id/stream')
  @UiMessageStreamHeaders()
  @ApiOperation({
    operationId: 'resumeThreadStream',
    summary: 'Resume the active run',
    description:
      'Replays the active run from after `Last-Event-ID` (from its start without it) and follows it to its end, on any instance. 204 when no run is active. This is the route `DefaultChatTransport` calls to resume (`GET {api}/{chatId}/stream`).',
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The id of the last event received' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse(STREAM_RESPONSE)
  @ApiNoContentResponse({ description: 'No run is active' })
  @ApiProblems([400, 'Last-Event-ID is not an event id'], [404, 'No thread with this id'])
  async resume(
    @Param('id') id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Observable<MessageEvent>> {
    const log = await this.threads.resume(id, lastEventId || undefined, res);
    if (log) return withKeepAlive(toEvents(log));
    res.status(204);
    return EMPTY;
  }

  @Post(':id/stop')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'stopThread',
    summary: 'Stop the active run',
    description:
      'Cancels the active run, on whichever instance runs it, and answers once it has ended (its stream then closes with `abort`, `finish` and `[DONE]`); the thread takes the next message right away.',
  })
  @ApiNoContentResponse({ description: 'The run was stopped' })
  @ApiProblems([404, 'No thread with this id'], [409, 'No run is active on this thread'])
  stop(@Param('id') id: string): Promise<void> {
    return this.threads.stop(id);
  }
}

/**
 * Once the run has started, the body has been read. The AI SDK client sends the whole conversation with
 * each message, and both copies of it (the parsed body on the request, the validated one among the
 * handler's arguments) would otherwise stay in memory until the response ends, that is until the answer
 * does.
 */
function releaseBody(req: Request, body: ChatRequestDto): void {
  req.body = undefined;
  body.messages = [];
}
