import { Controller, Get, HttpStatus, Param, Query, Req, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  ApiExtraModels,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  ApiProblems,
  PROBLEM_CONTENT_TYPE,
  problemType,
  Public,
  RateLimit,
  type AppConfig,
} from '@auxilia/core';
import { callbackPage } from './callback-page';
import { OAuthCallbackService, type CallbackResult } from './oauth-callback.service';
import { OAuthOutcomeDto } from './oauth.dto';

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

@ApiTags('oauth')
@Controller('mcp-servers/:id')
export class OAuthCallbackController {
  private readonly successRedirect?: string;

  constructor(
    private readonly callbacks: OAuthCallbackService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.successRedirect = config.get('oauth', { infer: true }).successRedirectUrl;
  }

  // The browser arrives here from the authorization server, without the API's key.
  @Public()
  @RateLimit('callback')
  @Get('callback')
  @ApiOperation({
    operationId: 'completeMcpServerAuthorization',
    summary: 'OAuth redirect target of an MCP server authorization',
    description:
      'The authorization server sends the browser here. The state is accepted once, for this server only, ' +
      'before it expires; the code is exchanged for tokens, which are stored encrypted, and the outcome is ' +
      'published on the Redis channel `auth:callback:{state}` for waiters on any instance. Answers an HTML ' +
      'page, JSON when the client asks for it, or a 302 to OAUTH_SUCCESS_REDIRECT_URL when that is set.',
  })
  @ApiParam({ name: 'id', description: 'MCP server id' })
  // Query parameters are read as they come: authorization servers add their own (iss, session_state, ...).
  @ApiQuery({ name: 'state', required: true, type: String })
  @ApiQuery({ name: 'code', required: false, type: String })
  @ApiQuery({
    name: 'error',
    required: false,
    type: String,
    description: 'Set by the authorization server on refusal',
  })
  @ApiQuery({ name: 'error_description', required: false, type: String })
  @ApiExtraModels(OAuthOutcomeDto)
  @ApiResponse({
    status: 200,
    description: 'The server is connected',
    content: {
      'text/html': { schema: { type: 'string' } },
      'application/json': { schema: { $ref: getSchemaPath(OAuthOutcomeDto) } },
    },
  })
  @ApiResponse({ status: 302, description: 'Connected; redirected to OAUTH_SUCCESS_REDIRECT_URL' })
  @ApiProblems(
    [400, 'Unknown, expired, replayed or other-server state, or the authorization server refused'],
    [502, 'The token exchange with the authorization server failed'],
    [503, 'Redis is unavailable'],
  )
  async callback(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const result = await this.callbacks.complete(id, {
      code: text(query.code),
      state: text(query.state),
      error: text(query.error),
      errorDescription: text(query.error_description),
    });
    const wantsJson = req.accepts(['text/html', 'application/json', PROBLEM_CONTENT_TYPE]) !== 'text/html';
    if (result.outcome.status === 'authorized') return this.success(id, result, wantsJson, res);
    this.failure(id, result, wantsJson, req, res);
  }

  private success(id: string, result: CallbackResult, wantsJson: boolean, res: Response): void {
    if (this.successRedirect && !wantsJson) {
      const target = new URL(this.successRedirect);
      target.searchParams.set('serverId', id);
      target.searchParams.set('status', 'authorized');
      res.redirect(HttpStatus.FOUND, target.href);
    } else if (wantsJson) {
      res.status(HttpStatus.OK).json(result.outcome);
    } else {
      res
        .status(HttpStatus.OK)
        .type('html')
        .send(callbackPage(`${id} is connected`, `The MCP server "${id}" is connected to auxilia.`));
    }
  }

  private failure(id: string, result: CallbackResult, wantsJson: boolean, req: Request, res: Response): void {
    const { error, errorDescription } = result.outcome;
    const refused = result.httpStatus === HttpStatus.BAD_REQUEST;
    const title = refused ? 'Authorization refused' : 'Authorization failed';
    const detail = refused
      ? `The authorization of MCP server "${id}" did not complete (${error}).`
      : `The authorization server of MCP server "${id}" did not issue tokens (${error}).`;
    if (wantsJson) {
      const problem = {
        type: problemType(refused ? 'oauth-authorization-refused' : 'oauth-token-exchange-failed'),
        title,
        status: result.httpStatus,
        detail: errorDescription ? `${detail} ${errorDescription}` : detail,
        instance: req.originalUrl.split('?')[0],
        error,
        errorDescription,
        serverId: id,
        state: result.outcome.state,
        requestId: (req as Request & { id?: unknown }).id?.toString(),
      };
      res.status(result.httpStatus).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
      return;
    }
    res
      .status(result.httpStatus)
      .type('html')
      .send(callbackPage(title, detail, errorDescription));
  }
}
