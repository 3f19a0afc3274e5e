import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Observable } from 'rxjs';
import type { AppConfig } from '@auxilia/core';
import { OAuthEvents } from './oauth-events';
import { OAuthStore } from './oauth.store';
import type { McpOAuthProvider, OAuthServerRef } from './oauth.types';
import { RedisOAuthProvider, type ProviderSettings } from './redis-oauth-provider';

/** The OAuth side of MCP connections, for the modules that open them. */
@Injectable()
export class OAuthService {
  private readonly logger = new Logger('OAuth');
  private readonly settings: ProviderSettings;
  /**
   * A server was just authorized (a callback finished, here or on another instance): connections
   * opened before hold a transport that gave up, so drop them. Each state is reported once.
   */
  readonly authorized$: Observable<{ serverId: string; state: string }>;

  constructor(
    private readonly store: OAuthStore,
    private readonly events: OAuthEvents,
    config: ConfigService<AppConfig, true>,
  ) {
    const { redirectBaseUrl, callbackTimeoutS } = config.get('oauth', { infer: true });
    this.settings = { redirectBaseUrl, callbackTimeoutS };
    this.authorized$ = events.authorized$;
  }

  /** A Redis-backed provider for one connection (one provider per transport). */
  providerFor(server: OAuthServerRef): McpOAuthProvider {
    return new RedisOAuthProvider(server, this.store, this.settings, this.logger);
  }

  async hasTokens(serverId: string): Promise<boolean> {
    return (await this.store.getTokens(serverId)) !== undefined;
  }

  /** Tokens, client registration and discovery state: the next connection starts from scratch. */
  async forget(serverId: string): Promise<void> {
    await this.store.forget(serverId);
  }
}
