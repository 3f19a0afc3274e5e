import { Logger } from '@nestjs/common';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { McpToolDto } from './dto/mcp-server.dto';
import { isFatalToSession } from './mcp-errors';
import type { McpServer, McpTransportKind } from './mcp-server';

/** One live MCP session: the SDK client, its transport and what was learned through it. */
export interface McpSession<P extends OAuthClientProvider = OAuthClientProvider> {
  serverId: string;
  client: Client;
  transport: Transport;
  kind: McpTransportKind;
  provider?: P;
  tools?: Promise<McpToolDto[]>;
}

export interface McpConnectionPoolOptions<P extends OAuthClientProvider> {
  timeoutMs: number;
  /** Every request of a session (MCP and OAuth) goes through it; it refuses what the network policy refuses. */
  fetch?: FetchLike;
  /** Checked right before each connect: what the URL resolves to may have changed since registration. */
  checkUrl?(url: string): Promise<void>;
  /** The OAuth provider of a new connection, or undefined for none. */
  providerFor(server: McpServer): P | undefined;
  /** Turns a failed connect into what callers see; `provider` is the one that connect used. */
  connectFailure(server: McpServer, error: unknown, provider: P | undefined): Error;
}

interface Entry<P extends OAuthClientProvider> {
  pending: Promise<McpSession<P>>;
  session?: McpSession<P>;
}

const CLIENT_INFO = { name: 'auxilia', version: '0.1.0' };

/**
 * One MCP session per server, shared by every caller. Concurrent callers share one in-flight
 * connect; a failed connect is forgotten so the next caller tries again; a session that fails in a
 * way it cannot recover from (expired, connection lost) is dropped so the next caller gets a new one.
 */
export class McpConnectionPool<P extends OAuthClientProvider = OAuthClientProvider> {
  private readonly logger = new Logger('McpConnectionPool');
  private readonly entries = new Map<string, Entry<P>>();

  constructor(private readonly options: McpConnectionPoolOptions<P>) {}

  acquire(server: McpServer): Promise<McpSession<P>> {
    const existing = this.entries.get(server.id);
    if (existing) return existing.pending;
    const entry = {} as Entry<P>;
    entry.pending = this.connect(server, entry).then(
      (session) => {
        if (this.entries.get(server.id) === entry) {
          entry.session = session;
          return session;
        }
        // Dropped while connecting (the server was changed or re-authorized): that session is stale.
        void this.close(session);
        return this.acquire(server);
      },
      (error: unknown) => {
        if (this.entries.get(server.id) === entry) this.entries.delete(server.id);
        throw error;
      },
    );
    this.entries.set(server.id, entry);
    return entry.pending;
  }

  /** The settled session of a server, if there is one. */
  current(serverId: string): McpSession<P> | undefined {
    return this.entries.get(serverId)?.session;
  }

  /** Forgets the server's session (or the connect in flight) and closes it; the next caller reconnects. */
  drop(serverId: string): void {
    const entry = this.entries.get(serverId);
    if (!entry) return;
    this.entries.delete(serverId);
    if (entry.session) void this.close(entry.session);
    // A connect still in flight closes its session itself once it sees it is no longer wanted, and
    // hands its waiters a fresh one.
  }

  /** Drops the session only if it is still the pooled one (a newer one may already have replaced it). */
  discard(session: McpSession<P>): void {
    if (this.entries.get(session.serverId)?.session === session) this.drop(session.serverId);
  }

  async closeAll(): Promise<void> {
    const sessions = [...this.entries.values()].map((e) => e.session).filter((s) => s !== undefined);
    this.entries.clear();
    await Promise.allSettled(sessions.map((s) => this.close(s)));
  }

  private async connect(server: McpServer, entry: Entry<P>): Promise<McpSession<P>> {
    const provider = this.options.providerFor(server);
    try {
      await this.options.checkUrl?.(server.url);
      if (server.transport) return await this.open(server, server.transport, provider, entry);
      try {
        return await this.open(server, 'streamable-http', provider, entry);
      } catch (error) {
        // A server that only speaks the legacy HTTP+SSE transport refuses the initialize POST with a 4xx.
        const status = error instanceof StreamableHTTPError ? error.code : undefined;
        if (status === undefined || status < 400 || status >= 500 || status === 401) throw error;
        this.logger.debug(`MCP server ${server.id}: streamable HTTP answered ${status}, trying SSE`);
        return await this.open(server, 'sse', provider, entry);
      }
    } catch (error) {
      throw this.options.connectFailure(server, error, provider);
    }
  }

  private async open(
    server: McpServer,
    kind: McpTransportKind,
    provider: P | undefined,
    entry: Entry<P>,
  ): Promise<McpSession<P>> {
    const url = new URL(server.url);
    const options = { authProvider: provider, fetch: this.options.fetch };
    const transport =
      kind === 'sse' ? new SSEClientTransport(url, options) : new StreamableHTTPClientTransport(url, options);
    const client = new Client(CLIENT_INFO);
    const session: McpSession<P> = { serverId: server.id, client, transport, kind, provider };
    client.onclose = () => this.discard(session);
    client.onerror = (error) => {
      if (entry.session === session && isFatalToSession(error)) {
        this.logger.warn(`MCP server ${server.id}: session dropped (${error.name})`);
        this.discard(session);
      }
    };
    const timeoutMs = this.options.timeoutMs;
    const signal = AbortSignal.timeout(timeoutMs);
    // The SSE transport waits for its endpoint event before initialize is even sent, which the request
    // timeout does not cover: the abort signal bounds the whole connect.
    const aborted = new Promise<never>((_resolve, reject) => {
      signal.addEventListener('abort', () =>
        reject(new McpError(ErrorCode.RequestTimeout, 'Connect timed out', { timeout: timeoutMs })),
      );
    });
    try {
      await Promise.race([client.connect(transport, { timeout: timeoutMs, signal }), aborted]);
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
    return session;
  }

  private async close(session: McpSession<P>): Promise<void> {
    session.client.onclose = undefined;
    session.client.onerror = undefined;
    if (session.transport instanceof StreamableHTTPClientTransport && session.transport.sessionId) {
      // Ends the session on the server too; bounded, since the server may be the reason for closing.
      await Promise.race([
        session.transport.terminateSession().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ]);
    }
    await session.client.close().catch(() => undefined);
  }
}
