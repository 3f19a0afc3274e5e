import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS, RedisKeys } from '@auxilia/core';
import type { Thread } from './dto/thread.dto';
import {
  InvalidCursorError,
  ThreadsRepository,
  type ThreadPage,
  type ThreadQuery,
} from './threads.repository';

/*
 * Each thread is a JSON string; two sorted sets index them (all threads, and per agent). Every member
 * has score 0 and reads `<createdAt ms, zero-padded>:<id>`, so the lexicographic order is the creation
 * order, ties broken by id, and a page starts strictly after the cursor's member: pages neither skip
 * nor repeat a thread created or deleted meanwhile. No command spans several of these keys, so the same
 * code runs on Redis Cluster.
 */
@Injectable()
export class RedisThreadsRepository extends ThreadsRepository {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    super();
  }

  private record(id: string): string {
    return this.keys.key('thread', id);
  }

  private index(agentId?: string): string {
    return agentId ? this.keys.key('threads', 'by-agent', agentId) : this.keys.key('threads', 'all');
  }

  async create(thread: Thread): Promise<void> {
    const member = indexMember(thread);
    // One round trip, the record first: Redis runs the commands of one connection in the order sent, so an
    // interruption leaves at worst an unlisted record, never an entry without its record. (On Cluster the
    // three keys may live on different nodes, where that order is not kept; a page skips such an entry.)
    await Promise.all([
      this.redis.set(this.record(thread.id), JSON.stringify(thread)),
      this.redis.zadd(this.index(), 0, member),
      this.redis.zadd(this.index(thread.agentId), 0, member),
    ]);
  }

  async get(id: string): Promise<Thread | null> {
    const raw = await this.redis.get(this.record(id));
    return raw ? (JSON.parse(raw) as Thread) : null;
  }

  async list(query: ThreadQuery): Promise<ThreadPage> {
    const start = query.cursor ? `(${decodeCursor(query.cursor)}` : '+';
    const members = await this.redis.zrange(
      this.index(query.agentId),
      start,
      '-',
      'BYLEX',
      'REV',
      'LIMIT',
      0,
      query.limit + 1,
    );
    const page = members.slice(0, query.limit);
    const ids = page.map((m) => m.slice(m.indexOf(':') + 1));
    const raws = await Promise.all(ids.map((id) => this.redis.get(this.record(id))));
    const items = raws.flatMap((raw) => (raw ? [JSON.parse(raw) as Thread] : []));
    const nextCursor = members.length > query.limit ? encodeCursor(page[page.length - 1]) : null;
    return { items, nextCursor };
  }

  async update(thread: Thread): Promise<void> {
    await this.redis.set(this.record(thread.id), JSON.stringify(thread), 'XX');
  }

  async delete(id: string): Promise<boolean> {
    const thread = await this.get(id);
    if (!thread) return false;
    const member = indexMember(thread);
    await Promise.all([
      this.redis.zrem(this.index(), member),
      this.redis.zrem(this.index(thread.agentId), member),
    ]);
    return (await this.redis.del(this.record(id))) === 1;
  }
}

function indexMember(thread: Thread): string {
  return `${String(Date.parse(thread.createdAt)).padStart(15, '0')}:${thread.id}`;
}

function encodeCursor(member: string): string {
  return Buffer.from(member, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const member = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^\d{15}:[0-9a-f-]{36}$/.test(member)) throw new InvalidCursorError('not a cursor of this API');
  return member;
}
