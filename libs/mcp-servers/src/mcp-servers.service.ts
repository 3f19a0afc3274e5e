import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Subscription } from 'rxjs';
import { OutboundGuard, OutboundRefusedError, ProblemException, type AppConfig } from '@auxilia/core';
import { OAuthRequiredException, OAuthService, type McpOAuthProvider } from '@auxilia/oauth';
import type { CreateMcpServerDto, McpToolDto, UpdateMcpServerDto } from './dto/mcp-server.dto';
import { McpConnectionPool, type McpSession } from './mcp-connection-pool';
import {
  classifyMcpError,
  httpStatusOf,
  mcpAddressRefusedProblem,
  mcpAuthRefusedProblem,
  mcpRejectedProblem,
  mcpTimeoutProblem,
  mcpUnreachableProblem,
  outboundRefusalOf,
  rootMcpError,
  type McpFailureKind,
} from './mcp-errors';
import type { McpServer } from './mcp-server';
import { McpServersRepository } from './mcp-servers.repository';
import { readSeedFile, toMcpServer } from './seed-file';
import { listAllTools } from './tools';

const SEED_RETRY_MS = 5000;

@Injectable()
export class McpServersService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('McpServers');
  private readonly timeoutMs: number;
  private readonly pool: McpConnectionPool<McpOAuthProvider>;
  private authorized?: Subscription;
  private seedRetry?: NodeJS.Timeout;

  constructor(
    private readonly repository: McpServersRepository,
    private readonly oauth: OAuthService,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly outbound: OutboundGuard,
  ) {
    this.timeoutMs = config.get('mcp', { infer: true }).timeoutMs;
    this.pool = new McpConnectionPool<McpOAuthProvider>({
      timeoutMs: this.timeoutMs,
      fetch: outbound.fetch,
      checkUrl: (url) => outbound.check(url),
      // Every connection gets the provider, not only those flagged requiresOAuth: the flag is the
      // operator's guess, the server's 401 is the truth, and a provider with no tokens adds no header.
      providerFor: (server) =>
        this.oauth.providerFor({ id: server.id, url: server.url, client: server.oauthClient }),
      connectFailure: (server, error, provider) => this.toProblem(server, error, provider),
    });
  }

  onModuleInit(): void {
    // A new authorization (on this instance or another) means new tokens: the next call starts a session with them.
    this.authorized = this.oauth.authorized$.subscribe(({ serverId }) => this.pool.drop(serverId));
  }

  async onApplicationBootstrap(): Promise<void> {
    const servers = readSeedFile(this.config.get('mcp', { infer: true }).serversFile);
    if (servers) await this.seed(servers);
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.seedRetry);
    this.authorized?.unsubscribe();
    await this.pool.closeAll();
  }

  private async seed(servers: McpServer[]): Promise<void> {
    try {
      const stored = await this.repository.seed(servers);
      if (stored.length > 0) this.logger.log(`Seeded MCP servers: ${stored.join(', ')}`);
    } catch (error) {
      // Redis may be away at start; the service runs meanwhile and seeds once it can.
      this.logger.error(`Seeding MCP servers failed (${(error as Error).message}); retrying`);
      this.seedRetry = setTimeout(() => void this.seed(servers), SEED_RETRY_MS);
      this.seedRetry.unref();
    }
  }

  list(): Promise<McpServer[]> {
    return this.repository.list();
  }

  /** The server, or a 404 problem. */
  async get(id: string): Promise<McpServer> {
    const server = await this.repository.find(id);
    if (!server) throw notFound(id);
    return server;
  }

  async exists(id: string): Promise<boolean> {
    return (await this.repository.find(id)) !== undefined;
  }

  async create(dto: CreateMcpServerDto): Promise<McpServer> {
    await this.checkUrl(dto.url);
    const server = toMcpServer(dto);
    if (!(await this.repository.create(server))) {
      throw new ProblemException(409, 'conflict', 'Conflict', `MCP server "${dto.id}" already exists`, {
        error: 'mcp_server_exists',
        serverId: dto.id,
      });
    }
    return server;
  }

  async update(id: string, dto: UpdateMcpServerDto): Promise<McpServer> {
    if (dto.url !== undefined) await this.checkUrl(dto.url);
    const updated = await this.repository.update(id, (current) => {
      const next: McpServer = { ...current };
      for (const [key, value] of Object.entries(dto) as [keyof UpdateMcpServerDto, unknown][]) {
        if (value !== undefined) Object.assign(next, { [key]: value });
      }
      return next;
    });
    if (!updated) throw notFound(id);
    this.pool.drop(id);
    return updated;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.repository.remove(id))) throw notFound(id);
    this.pool.drop(id);
    await this.oauth.forget(id);
  }

  /** A URL the outbound policy refuses is a 400 naming the field, like any other invalid field. */
  private async checkUrl(url: string): Promise<void> {
    try {
      await this.outbound.check(url);
    } catch (error) {
      if (!(error instanceof OutboundRefusedError)) throw error;
      const message = `url is refused: ${error.message}`;
      throw new ProblemException(400, 'validation', 'Validation failed', message, {
        errors: [{ field: 'url', messages: [message] }],
      });
    }
  }

  /** Forgets the server's tokens and OAuth client and ends its session. */
  async disconnect(id: string): Promise<void> {
    await this.get(id);
    this.pool.drop(id);
    await this.oauth.forget(id);
  }

  /** For the API: whether the server can be used without an authorization step first. */
  async isConnected(server: McpServer): Promise<boolean> {
    return server.requiresOAuth ? this.oauth.hasTokens(server.id) : true;
  }

  /**
   * The pooled, connected SDK client of the server. Take it per run rather than keeping it: it is
   * replaced when its session expires or its connection drops. Throws the 404 problem, the 401
   * oauth_required problem, or a 502/504 problem naming the server.
   */
  async getClient(id: string): Promise<Client> {
    return (await this.pool.acquire(await this.get(id))).client;
  }

  /** Request options every call through a pooled client should use (the MCP_TIMEOUT_MS bound). */
  requestOptions(): RequestOptions {
    return { timeout: this.timeoutMs };
  }

  /**
   * Runs `fn` with the server's client. A session that expired under it is replaced and `fn` runs once
   * more (the server never saw the first attempt); any failure leaves as the problem `problemFor` gives.
   */
  async withClient<T>(id: string, fn: (client: Client) => Promise<T>): Promise<T> {
    const server = await this.get(id);
    for (let attempt = 1; ; attempt++) {
      const session = await this.pool.acquire(server);
      try {
        return await fn(session.client);
      } catch (error) {
        const kind = classifyMcpError(error);
        const expired =
          kind === 'session-expired' || (kind === 'unreachable' && forgotSession(session, error));
        if (expired || kind === 'disconnected') this.pool.discard(session);
        if (expired && attempt === 1) continue;
        throw this.toProblem(server, error, session.provider);
      }
    }
  }

  /** Tools of the server, cached with its session until it is replaced or `refresh` is asked. */
  async listTools(id: string, opts: { refresh?: boolean } = {}): Promise<McpToolDto[]> {
    return this.withClient(id, async (client) => {
      const session = this.pool.current(id);
      if (!session || session.client !== client) return listAllTools(client, this.requestOptions());
      if (opts.refresh || !session.tools) session.tools = listAllTools(client, this.requestOptions());
      const tools = session.tools;
      try {
        return await tools;
      } catch (error) {
        if (session.tools === tools) session.tools = undefined;
        throw error;
      }
    });
  }

  /**
   * Turns a failure of a call to the server's MCP client into what the caller should report: the 401
   * oauth_required problem (with where to authorize), 504 when it timed out, 502 otherwise. `kind` says
   * which, for a runtime that reports some of them (e.g. `rejected`: a JSON-RPC error) as a tool result.
   */
  async problemFor(id: string, error: unknown): Promise<{ kind: McpFailureKind; problem: ProblemException }> {
    if (error instanceof ProblemException) return { kind: kindOfProblem(error), problem: error };
    const server = (await this.repository.find(id)) ?? { id, name: id };
    const session: McpSession<McpOAuthProvider> | undefined = this.pool.current(id);
    const kind = classifyMcpError(error);
    if (kind === 'session-expired' || kind === 'disconnected') {
      if (session) this.pool.discard(session);
    }
    return { kind, problem: this.toProblem(server, error, session?.provider) };
  }

  private toProblem(
    server: { id: string; name: string },
    error: unknown,
    provider: McpOAuthProvider | undefined,
  ): ProblemException {
    if (error instanceof ProblemException) return error;
    const refusal = outboundRefusalOf(error);
    if (refusal) return mcpAddressRefusedProblem(server, refusal);
    error = rootMcpError(error);
    switch (classifyMcpError(error)) {
      case 'unauthorized': {
        const pending = provider?.pendingAuthorization();
        return pending ? new OAuthRequiredException(pending) : mcpAuthRefusedProblem(server);
      }
      case 'timeout':
        return mcpTimeoutProblem(server, this.timeoutMs);
      case 'rejected':
        return mcpRejectedProblem(server, error as McpError);
      default:
        return mcpUnreachableProblem(server, error);
    }
  }
}

function notFound(id: string): ProblemException {
  return new ProblemException(404, 'not-found', 'Not Found', `No MCP server "${id}"`, {
    error: 'mcp_server_not_found',
    serverId: id,
  });
}

/**
 * The spec answers an unknown session with 404, but servers built on plain SDK routing (the reference
 * "everything" server among them) answer 400 "No valid session ID": either, to a request that carried a
 * session id, means the session is gone and the request was not processed.
 */
function forgotSession(session: McpSession, error: unknown): boolean {
  // The SSE transport keeps its session in the endpoint URL it was given, so it always has one.
  const hadSession = session.kind === 'sse' || session.transport.sessionId !== undefined;
  return hadSession && httpStatusOf(rootMcpError(error)) === 400;
}

function kindOfProblem(problem: ProblemException): McpFailureKind {
  const status = problem.getStatus();
  if (status === 401) return 'unauthorized';
  if (status === 504) return 'timeout';
  return status === 502 ? 'unreachable' : 'unknown';
}
