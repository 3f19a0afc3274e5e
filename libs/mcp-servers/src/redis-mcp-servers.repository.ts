import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS, RedisKeys, RedisScript, SecretCipher } from '@auxilia/core';
import type { McpServer } from './mcp-server';
import { McpServersRepository } from './mcp-servers.repository';

// The registry hash and the set of ids ever seen share a hash tag, so the scripts run on Redis Cluster too.
const SEED_SCRIPT = new RedisScript(`
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
end
return 0`);
const CREATE_SCRIPT = new RedisScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('SADD', KEYS[2], ARGV[1])
  return 1
end
return 0`);
const REMOVE_SCRIPT = new RedisScript(`
redis.call('SADD', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])`);
// Compare-and-set: a concurrent PATCH makes this one retry on the fresh value instead of losing it.
const REPLACE_SCRIPT = new RedisScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0`);

/**
 * Servers in one hash (id → JSON), with no TTL: the registry is persistent data. A pre-registered
 * client secret is stored encrypted, bound to its server id.
 */
@Injectable()
export class RedisMcpServersRepository extends McpServersRepository {
  private readonly logger = new Logger('McpServersRepository');
  private readonly servers: string;
  private readonly seen: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    keys: RedisKeys,
    private readonly cipher: SecretCipher,
  ) {
    super();
    this.servers = keys.key('{mcp-servers}', 'registry');
    this.seen = keys.key('{mcp-servers}', 'seen');
  }

  async list(): Promise<McpServer[]> {
    const all = await this.redis.hgetall(this.servers);
    return Object.values(all)
      .map((json) => this.decode(json))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async find(id: string): Promise<McpServer | undefined> {
    const json = await this.redis.hget(this.servers, id);
    return json === null ? undefined : this.decode(json);
  }

  async create(server: McpServer): Promise<boolean> {
    const done = await CREATE_SCRIPT.run(
      this.redis,
      [this.servers, this.seen],
      [server.id, this.encode(server)],
    );
    return done === 1;
  }

  async update(id: string, change: (current: McpServer) => McpServer): Promise<McpServer | undefined> {
    for (;;) {
      const before = await this.redis.hget(this.servers, id);
      if (before === null) return undefined;
      const next = change(this.decode(before));
      const done = await REPLACE_SCRIPT.run(this.redis, [this.servers], [id, before, this.encode(next)]);
      if (done === 1) return next;
    }
  }

  async remove(id: string): Promise<boolean> {
    const removed = await REMOVE_SCRIPT.run(this.redis, [this.servers, this.seen], [id]);
    return removed === 1;
  }

  async seed(servers: McpServer[]): Promise<string[]> {
    const stored: string[] = [];
    for (const server of servers) {
      const done = await SEED_SCRIPT.run(
        this.redis,
        [this.servers, this.seen],
        [server.id, this.encode(server)],
      );
      if (done === 1) stored.push(server.id);
    }
    return stored;
  }

  private encode(server: McpServer): string {
    const secret = server.oauthClient?.clientSecret;
    if (secret === undefined) return JSON.stringify(server);
    const oauthClient = {
      ...server.oauthClient,
      clientSecret: this.cipher.encrypt(secret, context(server.id)),
    };
    return JSON.stringify({ ...server, oauthClient });
  }

  private decode(json: string): McpServer {
    const server = JSON.parse(json) as McpServer;
    const sealed = server.oauthClient?.clientSecret;
    if (server.oauthClient && sealed !== undefined) {
      try {
        server.oauthClient.clientSecret = this.cipher.decrypt(sealed, context(server.id));
      } catch {
        // Written under another ENCRYPTION_KEY: the server stays usable, as if no secret had been given.
        this.logger.warn(`MCP server ${server.id}: its OAuth client secret cannot be decrypted; ignoring it`);
        delete server.oauthClient.clientSecret;
      }
    }
    return server;
  }
}

function context(id: string): string {
  return `mcp-server-client-secret:${id}`;
}
