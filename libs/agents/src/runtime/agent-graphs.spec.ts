import { describe, expect, it } from '@jest/globals';
import { tool } from '@langchain/core/tools';
import { MemorySaver } from '@langchain/langgraph';
import type { Agent } from '../agent.dto';
import { AgentGraphs, uniqueNames } from './agent-graphs';
import type { ModelSettings } from './chat-model';

const agent: Agent = { id: 'a', name: 'A', instructions: 'Be brief.', mcpServerIds: [] };
const settings: ModelSettings = { model: 'm', apiKey: 'k', baseURL: 'http://127.0.0.1:1/v1', maxRetries: 0 };

describe('AgentGraphs', () => {
  it('reuses the compiled graph while the prompt, model and tools stay the same', async () => {
    const graphs = new AgentGraphs(new MemorySaver());
    const first = await graphs.graphFor(agent, settings, []);
    expect(await graphs.graphFor({ ...agent, name: 'Renamed' }, settings, [])).toBe(first);
    expect(await graphs.graphFor({ ...agent, instructions: 'Be long.' }, settings, [])).not.toBe(first);
    expect(await graphs.graphFor(agent, { ...settings, model: 'other' }, [])).not.toBe(first);
  });

  it('keeps server tool names the model accepts, and renames clashes and invalid characters', async () => {
    const make = (name: string) =>
      tool(() => name, { name, description: name, schema: { type: 'object', properties: {} } });
    const a = [make('get-sum'), make('files.read')];
    const b = [make('get-sum')];
    const named = uniqueNames(['one', 'two'], [a, b]);
    expect(named.map((t) => t.name)).toEqual(['get-sum', 'files_read', 'two__get-sum']);
    expect(named[0]).toBe(a[0]);
    expect(a[1].name).toBe('files.read');
    expect(await named[1].invoke({})).toBe('files.read');
  });
});
