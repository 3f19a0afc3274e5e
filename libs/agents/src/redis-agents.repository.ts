import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS, RedisKeys, RedisScript } from '@auxilia/core';
import type { Agent } from './agent.dto';
import { AgentsRepository } from './agents.repository';

// HSETNX + SADD in one script: a seed is created and remembered together, even with two instances starting.
const SEED_SCRIPT = new RedisScript(`
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
`);
// Compare-and-set on the whole JSON value: a PATCH and a PUT of tool policies racing on one agent each
// see the other's write (the loser retries on the fresh value) rather than overwrite it.
const REPLACE_SCRIPT = new RedisScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`);

/** One hash of agents (field = id, value = JSON) and a set of the seed ids ever applied. */
@Injectable()
export class RedisAgentsRepository extends AgentsRepository {
  private readonly hash: string;
  private readonly seeded: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    keys: RedisKeys,
  ) {
    super();
    // Both keys share a hash tag so the seed script stays in one Redis Cluster slot.
    this.hash = keys.key('{agents}');
    this.seeded = keys.key('{agents}', 'seeded');
  }

  async get(id: string): Promise<Agent | undefined> {
    const raw = await this.redis.hget(this.hash, id);
    return raw === null ? undefined : parse(raw);
  }

  async list(): Promise<Agent[]> {
    const all = await this.redis.hvals(this.hash);
    return all.map(parse).sort((a, b) => a.id.localeCompare(b.id));
  }

  async create(agent: Agent): Promise<boolean> {
    return (await this.redis.hsetnx(this.hash, agent.id, JSON.stringify(agent))) === 1;
  }

  async update(id: string, change: (current: Agent) => Agent): Promise<Agent | undefined> {
    for (;;) {
      const before = await this.redis.hget(this.hash, id);
      if (before === null) return undefined;
      const next = change(parse(before));
      const done = await REPLACE_SCRIPT.run(this.redis, [this.hash], [id, before, JSON.stringify(next)]);
      if (done === 1) return next;
    }
  }

  async remove(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.hash, id)) === 1;
  }

  async seed(agents: Agent[]): Promise<string[]> {
    const created: string[] = [];
    for (const agent of agents) {
      const done = await SEED_SCRIPT.run(
        this.redis,
        [this.hash, this.seeded],
        [agent.id, JSON.stringify(agent)],
      );
      if (done === 1) created.push(agent.id);
    }
    return created;
  }
}

function parse(raw: string): Agent {
  return JSON.parse(raw) as Agent;
}
