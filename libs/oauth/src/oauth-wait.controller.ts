import { Controller, HttpStatus, type MessageEvent, Param, Query, Sse } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { defer, filter, map, merge, of, switchMap, take, timer, type Observable } from 'rxjs';
import { ApiProblems, ProblemException } from '@auxilia/core';
import { OAuthEvents } from './oauth-events';
import { OAuthStore } from './oauth.store';
import { OAuthWaitQueryDto } from './oauth.dto';
import type { OAuthOutcome } from './oauth.types';
import { orUnavailable } from './store-unavailable';

type WaitResult = OAuthOutcome | { status: 'timeout'; serverId: string; state: string };

function toEvent(result: WaitResult): MessageEvent {
  return { id: '1', type: result.status, data: result };
}

@ApiTags('oauth')
@Controller('mcp-servers/:id/oauth')
export class OAuthWaitController {
  constructor(
    private readonly events: OAuthEvents,
    private readonly store: OAuthStore,
  ) {}

  @Sse('events')
  @ApiOperation({
    operationId: 'waitForMcpServerAuthorization',
    summary: 'Wait for the outcome of an authorization (SSE)',
    description:
      'A Server-Sent Events stream that sends one event, `authorized` or `error` (data: the outcome), when ' +
      'the callback of this state completes on any instance, or `timeout` when the state expires, then ' +
      'closes. An outcome published before the stream opened is still sent (it is kept for two minutes).',
  })
  @ApiParam({ name: 'id', description: 'MCP server id' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'One event: `authorized`, `error` or `timeout`',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiProblems(
    [400, 'Invalid query'],
    [404, 'No authorization of this server with this state'],
    [503, 'Redis is unavailable'],
  )
  async wait(@Param('id') id: string, @Query() query: OAuthWaitQueryDto): Promise<Observable<MessageEvent>> {
    const { state } = query;
    // Listen before looking, so an outcome that arrives in between is not missed.
    const live = this.events.outcomesOf(state);
    const [stored, status] = await orUnavailable(
      Promise.all([this.store.getOutcome(state), this.store.flowStatus(id, state)]),
    );
    if (stored && stored.serverId !== id) throw notFound(id);
    if (stored) return of(toEvent(stored));
    const remainingMs = status.pendingMs ?? status.exchangingMs;
    if (remainingMs === undefined) throw notFound(id);
    const timeoutResult: WaitResult = { status: 'timeout', serverId: id, state };
    return merge(
      live,
      // Looked up again once subscribed: the callback may have finished during the lookups above.
      defer(() => this.store.getOutcome(state)),
      // At expiry, a last look: the callback may have finished on an instance whose event did not arrive.
      timer(remainingMs).pipe(
        switchMap(() => this.store.getOutcome(state)),
        map((o) => o ?? timeoutResult),
      ),
    ).pipe(
      filter((o): o is WaitResult => o !== undefined && o.serverId === id),
      take(1),
      map(toEvent),
    );
  }
}

function notFound(id: string): ProblemException {
  return new ProblemException(
    HttpStatus.NOT_FOUND,
    'oauth-state-not-found',
    'Unknown OAuth state',
    `No authorization of MCP server "${id}" is pending with this state (unknown, expired, or finished more than two minutes ago)`,
    { error: 'invalid_state', serverId: id },
  );
}
