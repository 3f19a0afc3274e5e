import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { ProblemException, type AppConfig } from '@auxilia/core';
import type { Agent, CreateAgentDto, ToolPolicy, UpdateAgentDto } from './agent.dto';
import { AgentsRepository } from './agents.repository';
import { McpGateway } from './mcp-gateway';
import { SeedAgentDto } from './tool-policies.dto';
import { prunePolicies } from './tool-policies';

const SEED_RETRY_MS = 5000;

@Injectable()
export class AgentsService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AgentsService.name);
  private seeds: Agent[] = [];
  private seedRetry?: NodeJS.Timeout;
  private firstSeed: Promise<void> = Promise.resolve();

  constructor(
    private readonly repository: AgentsRepository,
    private readonly servers: McpGateway,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  // A bad agents file stops the start; Redis being away does not (seeding retries until it is back).
  async onModuleInit(): Promise<void> {
    this.seeds = await this.readSeeds();
  }

  // Not awaited: with Redis away the start would wait out its reconnect backoff. Requests wait for the
  // first attempt instead, so a freshly started instance never answers without its seeds.
  onApplicationBootstrap(): void {
    this.firstSeed = this.seed();
  }

  onModuleDestroy(): void {
    clearTimeout(this.seedRetry);
    this.seeds = [];
  }

  private async seed(): Promise<void> {
    if (this.seeds.length === 0) return;
    try {
      const created = await this.repository.seed(this.seeds);
      if (created.length > 0) this.logger.log(`Seeded agents: ${created.join(', ')}`);
    } catch (error) {
      this.logger.error(`Seeding agents failed (${(error as Error).message}); retrying`);
      this.seedRetry = setTimeout(() => void this.seed(), SEED_RETRY_MS);
      this.seedRetry.unref();
    }
  }

  /** The agent, or a 404 problem. */
  async get(id: string): Promise<Agent> {
    await this.firstSeed;
    const agent = await this.repository.get(id);
    if (!agent) throw notFound(id);
    return agent;
  }

  async list(): Promise<Agent[]> {
    await this.firstSeed;
    return this.repository.list();
  }

  async create(dto: CreateAgentDto): Promise<Agent> {
    const agent = normalize({ ...dto, mcpServerIds: dto.mcpServerIds ?? [] });
    await this.firstSeed;
    await this.assertServers(agent.mcpServerIds);
    if (!(await this.repository.create(agent))) {
      throw new ProblemException(409, 'conflict', 'Conflict', `An agent "${agent.id}" already exists`);
    }
    return agent;
  }

  /** A server left out of `mcpServerIds` takes its tool policies with it. */
  async update(id: string, dto: UpdateAgentDto): Promise<Agent> {
    await this.get(id);
    if (dto.mcpServerIds) await this.assertServers(dto.mcpServerIds);
    const changes = dropUndefined(dto);
    return this.change(id, (current) => ({ ...current, ...changes, id }));
  }

  /** Applies `change` to the stored agent atomically (see AgentsRepository.update); 404 when it is gone. */
  async change(id: string, change: (current: Agent) => Agent): Promise<Agent> {
    await this.firstSeed;
    const next = await this.repository.update(id, (current) => normalize(change(current)));
    if (!next) throw notFound(id);
    return next;
  }

  async remove(id: string): Promise<void> {
    await this.firstSeed;
    if (!(await this.repository.remove(id))) throw notFound(id);
  }

  private async assertServers(ids: string[]): Promise<void> {
    const known = await Promise.all(ids.map((id) => this.servers.exists(id)));
    const unknown = ids.filter((_, i) => !known[i]);
    if (unknown.length > 0) {
      const list = unknown.map((id) => `"${id}"`).join(', ');
      throw new ProblemException(400, 'unknown-mcp-server', 'Bad Request', `Unknown MCP server ${list}`, {
        mcpServerIds: unknown,
      });
    }
  }

  private async readSeeds(): Promise<Agent[]> {
    const file = resolve(process.cwd(), this.config.get('agents', { infer: true }).file);
    let raw: string;
    try {
      raw = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.logger.warn(`No agents file at ${file}: nothing seeded`);
        return [];
      }
      throw error;
    }
    let list: unknown;
    try {
      list = JSON.parse(raw);
    } catch (error) {
      throw new Error(`Invalid agents file ${file}: ${(error as Error).message}`, { cause: error });
    }
    if (!Array.isArray(list)) throw new Error(`Invalid agents file ${file}: expected a JSON array of agents`);
    const agents: Agent[] = [];
    for (const item of list) {
      const dto = plainToInstance(SeedAgentDto, item);
      const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
      const servers = dto.mcpServerIds ?? [];
      // Only the shape: the servers may be unreachable at start, so tool names are not checked.
      const strays =
        errors.length > 0 ? [] : Object.keys(dto.toolPolicies ?? {}).filter((s) => !servers.includes(s));
      if (errors.length > 0 || strays.length > 0) {
        const fields = errors.map((e) => e.property).join(', ');
        const why = fields || `toolPolicies names servers not in mcpServerIds: ${strays.join(', ')}`;
        throw new Error(`Invalid agent in ${file}: ${JSON.stringify(dto.id ?? null)} (${why})`);
      }
      agents.push(normalize({ ...dto, mcpServerIds: servers }));
    }
    return agents;
  }
}

function notFound(id: string): ProblemException {
  return new ProblemException(404, 'not-found', 'Not Found', `No agent "${id}"`);
}

/**
 * Null clears an optional field on PATCH; the stored record keeps only known members, and tool
 * policies only for the servers in `mcpServerIds`.
 */
function normalize(
  input: Omit<Agent, 'toolPolicies'> & {
    toolPolicies?: Record<string, Record<string, ToolPolicy>>;
  },
): Agent {
  const agent: Agent = {
    id: input.id,
    name: input.name,
    instructions: input.instructions,
    mcpServerIds: [...input.mcpServerIds],
  };
  if (input.description != null) agent.description = input.description;
  if (input.model != null) agent.model = input.model;
  const toolPolicies = prunePolicies(input.toolPolicies, agent.mcpServerIds);
  if (toolPolicies) agent.toolPolicies = toolPolicies;
  return agent;
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
