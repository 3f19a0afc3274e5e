import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { Command, type LangGraphRunnableConfig, type StreamMode } from '@langchain/langgraph';
import { loadMcpTools } from '@langchain/mcp-adapters';
import { ChatOpenAI } from '@langchain/openai';
import { toUIMessageStream } from '@ai-sdk/langchain';
import type { UIMessageChunk } from 'ai';
import { DEFAULT_SCRIPTED_MODEL_NAME, type ScriptedTurn } from '@auxilia/testing';
import type { ApprovalDecisions } from './approvals';
import { danglingToolCalls } from './messages';
import { RuntimeHarness } from './runtime.fixture';
import { ReplyChunks, StepMessage } from './step-messages';
import { graphEvents, TURN_DURABILITY, TURN_STREAM_MODE } from './turn-stream';

const h = new RuntimeHarness();
beforeAll(() => h.start());
afterAll(() => h.close());
afterEach(() => {
  jest.restoreAllMocks();
});

async function graphWithTools(needsApproval: string[] = []) {
  const client = h.fx.clients.get('everything');
  if (!client) throw new Error('no everything client');
  const tools = await loadMcpTools('everything', client, { throwOnLoadError: false });
  return h.graph({ tools, prompt: 'Use tools.', needsApproval: new Set(needsApproval) });
}

type Graph = Awaited<ReturnType<typeof graphWithTools>>;

/** The UI chunks `@ai-sdk/langchain` makes of one run's events, read in the given stream mode. */
async function uiChunks(
  graph: Graph,
  input: Parameters<Graph['stream']>[0],
  threadId: string,
  streamMode: StreamMode[],
): Promise<UIMessageChunk[]> {
  const events = graphEvents(graph, input, {
    configurable: { thread_id: threadId },
    streamMode,
    recursionLimit: 10,
    durability: TURN_DURABILITY,
    signal: new AbortController().signal,
  });
  const chunks: UIMessageChunk[] = [];
  const stream = toUIMessageStream(events as Parameters<typeof toUIMessageStream>[0], {
    sendStart: false,
    sendFinish: false,
  });
  for await (const chunk of stream as unknown as AsyncIterable<UIMessageChunk>) chunks.push(chunk);
  return chunks;
}

/** Ids numbered by first appearance: two runs of one script get different ids from the model. */
function numberedIds(chunks: UIMessageChunk[]): unknown[] {
  const ids = new Map<string, string>();
  const numbered = (id: string) => {
    if (!ids.has(id)) ids.set(id, `#${ids.size}`);
    return ids.get(id);
  };
  return chunks.map((chunk) => {
    const out: Record<string, unknown> = { ...chunk };
    for (const key of ['id', 'toolCallId']) {
      if (typeof out[key] === 'string') out[key] = numbered(out[key]);
    }
    return out;
  });
}

/** What a thread holds, without ids (the two runs' messages differ there): each message's type and text. */
const contents = (messages: BaseMessage[]) => messages.map((m) => [m.getType(), m.text]);

/**
 * Runs the same script twice, on two new threads: once read as the turn reads it, once through LangGraph's
 * own `messages` mode. Each step is a list of model turns and the graph input that starts it.
 */
async function bothWays(
  graph: Graph,
  steps: { turns: ScriptedTurn[]; input: (threadId: string) => Promise<Parameters<Graph['stream']>[0]> }[],
) {
  const ways = { turn: TURN_STREAM_MODE, langgraph: ['values', 'messages'] as StreamMode[] };
  const result: Record<keyof typeof ways, { chunks: UIMessageChunk[]; threadId: string }> = {
    turn: { chunks: [], threadId: randomUUID() },
    langgraph: { chunks: [], threadId: randomUUID() },
  };
  for (const way of ['turn', 'langgraph'] as const) {
    const { threadId } = result[way];
    for (const step of steps) {
      h.model.enqueue(...step.turns);
      result[way].chunks.push(...(await uiChunks(graph, await step.input(threadId), threadId, ways[way])));
    }
    expect(h.model.pending).toBe(0);
  }
  return result;
}

const ask = (text: string) => () =>
  Promise.resolve({ messages: [new HumanMessage({ id: randomUUID(), content: text })] });

describe("the turn's stream of the graph's messages", () => {
  const scripts: [string, ScriptedTurn[]][] = [
    ['a text answer', ['Hello there, how are you?']],
    ['reasoning, then text', [{ reasoning: 'Let me think about it', text: 'Fine.' }]],
    [
      'a tool call, its result, then the answer',
      [{ toolCalls: [{ name: 'get-sum', arguments: { a: 2, b: 3 } }] }, 'The sum is 5.'],
    ],
    [
      'two calls in one step, one to a tool that does not exist',
      [
        {
          text: 'Trying two.',
          toolCalls: [
            { name: 'echo', arguments: { message: 'hi' } },
            { name: 'no-such-tool', arguments: {} },
          ],
        },
        'One worked.',
      ],
    ],
  ];

  it.each(scripts)("maps %s as LangGraph's messages mode does", async (_name, turns) => {
    const graph = await graphWithTools();
    const { turn, langgraph } = await bothWays(graph, [{ turns, input: ask('Go') }]);
    expect(turn.chunks.some((c) => c.type === 'text-delta')).toBe(true);
    expect(numberedIds(turn.chunks)).toEqual(numberedIds(langgraph.chunks));
    expect(contents(await h.storedMessages(turn.threadId))).toEqual(
      contents(await h.storedMessages(langgraph.threadId)),
    );
  });

  it("maps a step paused for approval, then a denial and the answer, as LangGraph's messages mode does", async () => {
    const graph = await graphWithTools(['get-sum']);
    const resume = async (threadId: string): Promise<Parameters<Graph['stream']>[0]> => {
      const sum = danglingToolCalls(await h.storedMessages(threadId)).find((c) => c.name === 'get-sum');
      if (!sum) throw new Error('no get-sum call waits');
      const decisions: ApprovalDecisions = {
        [sum.id]: { approvalId: 'approval-1', approved: false, reason: 'Not now' },
      };
      return new Command({ resume: decisions });
    };
    const calls = [
      { name: 'echo', arguments: { message: 'hi' } },
      { name: 'get-sum', arguments: { a: 1, b: 2 } },
    ];
    const { turn, langgraph } = await bothWays(graph, [
      { turns: [{ toolCalls: calls }], input: ask('Sum and echo') },
      { turns: ['Echoed, not summed.'], input: resume },
    ]);
    const outputs = turn.chunks.filter((c) => c.type.startsWith('tool-output'));
    expect(outputs.map((c) => c.type)).toEqual(['tool-output-available', 'tool-output-error']);
    expect(numberedIds(turn.chunks)).toEqual(numberedIds(langgraph.chunks));
    expect(contents(await h.storedMessages(turn.threadId))).toEqual(
      contents(await h.storedMessages(langgraph.threadId)),
    );
  });
});

describe('ReplyChunks', () => {
  const written = () => {
    const out: StepMessage[] = [];
    const config: LangGraphRunnableConfig = {
      writer: (chunk: unknown) => out.push(chunk as StepMessage),
      metadata: { langgraph_step: 3 },
    };
    return { out, config };
  };

  it("writes the reply's chunks as the model reads them, with the reply's id and the node's step", async () => {
    const { out, config } = written();
    h.model.enqueue({ text: ['One', ' two', ' three'], delayMs: 5 });
    const reply = await h
      .chatModel()
      .invoke([new HumanMessage('Count')], { callbacks: [new ReplyChunks(config)] });
    expect(out.length).toBeGreaterThan(1);
    expect(out.every((m) => m instanceof StepMessage && m.step === 3)).toBe(true);
    expect(out.map((m) => m.message.text).join('')).toBe('One two three');
    expect(new Set(out.map((m) => m.message.id))).toEqual(new Set([reply.id]));
  });

  it('writes the whole reply once when the model does not stream', async () => {
    const { out, config } = written();
    h.model.enqueue('Not streamed.');
    const llm = new ChatOpenAI({
      model: DEFAULT_SCRIPTED_MODEL_NAME,
      apiKey: 'test',
      configuration: { baseURL: h.model.baseURL },
      maxRetries: 0,
      disableStreaming: true,
    });
    const reply = await llm.invoke([new HumanMessage('Hi')], { callbacks: [new ReplyChunks(config)] });
    expect(out.map((m) => [m.message.text, m.message.id, m.step])).toEqual([['Not streamed.', reply.id, 3]]);
  });

  it('makes the model stream when nothing reads the stream: no tokenizer fetched', async () => {
    const fetched: string[] = [];
    const realFetch = globalThis.fetch;
    jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      fetched.push(input instanceof Request ? input.url : String(input));
      return realFetch(input, init);
    });
    h.model.enqueue('Plain.');
    // No `custom` stream mode: the nodes have no writer.
    const graph = h.graph();
    const result = await graph.invoke(
      { messages: [new HumanMessage('Hi')] },
      { configurable: { thread_id: randomUUID() } },
    );
    expect(result.messages.at(-1)?.text).toBe('Plain.');
    // The model's requests go through its own fetch; nothing else is fetched.
    expect(fetched).toEqual([]);
  });
});
