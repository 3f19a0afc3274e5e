import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@auxilia/core';
import type { AgentsRepository } from './agents.repository';
import { AgentsService } from './agents.service';
import type { McpGateway } from './mcp-gateway';

function serviceReading(file: string): AgentsService {
  const config = { get: () => ({ file, recursionLimit: 25 }) } as unknown as ConfigService<AppConfig, true>;
  return new AgentsService({} as AgentsRepository, {} as McpGateway, config);
}

describe('AgentsService seeds file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agents-seeds-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('stops the start on a file that is not a JSON array of agents, naming the file', async () => {
    const file = join(dir, 'object.json');
    await writeFile(file, JSON.stringify({ id: 'assistant' }));
    await expect(serviceReading(file).onModuleInit()).rejects.toThrow(`Invalid agents file ${file}`);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '[{');
    await expect(serviceReading(broken).onModuleInit()).rejects.toThrow(`Invalid agents file ${broken}`);
  });

  it('names the agent and the fields that are invalid', async () => {
    const file = join(dir, 'bad-agent.json');
    await writeFile(file, JSON.stringify([{ id: 'Bad Id', name: 'x', instructions: 'x', extra: 1 }]));
    await expect(serviceReading(file).onModuleInit()).rejects.toThrow(
      /Invalid agent in .*"Bad Id" \((extra, id|id, extra)\)/,
    );
  });

  it('takes tool policies of the right shape, stores no default, and keeps only used servers', async () => {
    const file = join(dir, 'policies.json');
    const agent = { id: 'tooled', name: 'T', instructions: 'x', mcpServerIds: ['s1'] };
    await writeFile(
      file,
      JSON.stringify([{ ...agent, toolPolicies: { s1: { echo: 'needs_approval', add: 'always_allow' } } }]),
    );
    const service = serviceReading(file);
    await service.onModuleInit();
    expect((service as unknown as { seeds: unknown[] }).seeds).toEqual([
      { ...agent, toolPolicies: { s1: { echo: 'needs_approval' } } },
    ]);
  });

  it('stops the start on tool policies of a bad shape or for a server the agent does not use', async () => {
    const agent = { id: 'tooled', name: 'T', instructions: 'x', mcpServerIds: ['s1'] };
    const bad = join(dir, 'bad-policy.json');
    await writeFile(bad, JSON.stringify([{ ...agent, toolPolicies: { s1: { echo: 'ask' } } }]));
    await expect(serviceReading(bad).onModuleInit()).rejects.toThrow(/"tooled" \(toolPolicies\)/);
    const stray = join(dir, 'stray-policy.json');
    await writeFile(stray, JSON.stringify([{ ...agent, toolPolicies: { s2: { echo: 'disabled' } } }]));
    await expect(serviceReading(stray).onModuleInit()).rejects.toThrow(/not in mcpServerIds: s2/);
  });
});
