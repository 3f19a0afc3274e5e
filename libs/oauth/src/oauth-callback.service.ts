import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { OutboundGuard, ProblemException, type AppConfig } from '@auxilia/core';
import { OAuthEvents } from './oauth-events';
import { OAuthStore } from './oauth.store';
import type { FlowRecord, OAuthOutcome } from './oauth.types';
import { RedisOAuthProvider, type ProviderSettings } from './redis-oauth-provider';
import { orUnavailable } from './store-unavailable';

export interface CallbackParams {
  code?: string;
  state?: string;
  error?: string;
  errorDescription?: string;
}

/** What the controller renders: the outcome, with the HTTP status it deserves. */
export interface CallbackResult {
  outcome: OAuthOutcome;
  httpStatus: number;
}

const MAX_DESCRIPTION = 300;

/** Finishes one authorization from its flow record alone, then tells every instance how it went. */
@Injectable()
export class OAuthCallbackService {
  private readonly logger = new Logger('OAuthCallback');
  private readonly settings: ProviderSettings;

  constructor(
    private readonly store: OAuthStore,
    private readonly events: OAuthEvents,
    config: ConfigService<AppConfig, true>,
    private readonly outbound: OutboundGuard,
  ) {
    const { redirectBaseUrl, callbackTimeoutS } = config.get('oauth', { infer: true });
    this.settings = { redirectBaseUrl, callbackTimeoutS };
  }

  async complete(serverId: string, params: CallbackParams): Promise<CallbackResult> {
    // Taken once: a replayed, expired or other server's state finds nothing and changes nothing.
    const flow = params.state ? await orUnavailable(this.store.takeFlow(serverId, params.state)) : undefined;
    if (!flow) {
      throw new ProblemException(
        HttpStatus.BAD_REQUEST,
        'invalid-oauth-state',
        'Unknown OAuth state',
        `The state is unknown, expired, already used, or belongs to another server than "${serverId}": start the authorization again`,
        { error: 'invalid_state', serverId },
      );
    }
    const base = { serverId, state: flow.state };
    let result: CallbackResult;
    if (params.error) {
      result = {
        httpStatus: HttpStatus.BAD_REQUEST,
        outcome: {
          ...base,
          status: 'error',
          // Both come from the query string: keep the code to its RFC 6749 shape and the text short.
          error: /^[\x20-\x7e]{1,64}$/.test(params.error) ? params.error : 'authorization_error',
          errorDescription: clip(params.errorDescription),
        },
      };
    } else if (!params.code) {
      result = {
        httpStatus: HttpStatus.BAD_REQUEST,
        outcome: {
          ...base,
          status: 'error',
          error: 'invalid_request',
          errorDescription: 'The callback has no code',
        },
      };
    } else {
      result = await this.exchange(flow.serverUrl, params.code, base, flow);
    }
    await this.events.publish(result.outcome);
    return result;
  }

  private async exchange(
    serverUrl: string,
    code: string,
    base: { serverId: string; state: string },
    flow: FlowRecord,
  ): Promise<CallbackResult> {
    try {
      const outcome = await auth(this.provider(flow), {
        serverUrl,
        authorizationCode: code,
        fetchFn: this.outbound.fetch,
      });
      if (outcome !== 'AUTHORIZED') throw new Error('the authorization server did not issue tokens');
      return { httpStatus: HttpStatus.OK, outcome: { ...base, status: 'authorized' } };
    } catch (err) {
      const oauth = err instanceof OAuthError;
      // OAuth error responses carry the server's own description; anything else may hold request details.
      const description = oauth ? err.message : 'The token exchange with the authorization server failed';
      this.logger.warn(
        `Token exchange for MCP server "${base.serverId}" failed: ${oauth ? err.errorCode : err instanceof Error ? err.name : 'error'}`,
      );
      return {
        httpStatus: HttpStatus.BAD_GATEWAY,
        outcome: {
          ...base,
          status: 'error',
          error: oauth ? err.errorCode : 'token_exchange_failed',
          errorDescription: clip(description),
        },
      };
    }
  }

  private provider(flow: FlowRecord): RedisOAuthProvider {
    return new RedisOAuthProvider(
      { id: flow.serverId, url: flow.serverUrl },
      this.store,
      this.settings,
      this.logger,
      flow,
    );
  }
}

function clip(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION)}…` : text;
}
