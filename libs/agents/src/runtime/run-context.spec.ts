import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { CallbackManager, type Callbacks } from '@langchain/core/callbacks/manager';
import { getContextVariable, setContextVariable } from '@langchain/core/context';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import { LangChainTracer } from '@langchain/core/tracers/tracer_langchain';
import {
  Annotation,
  Command,
  getConfig,
  interrupt,
  MemorySaver,
  START,
  StateGraph,
  type LangGraphRunnableConfig,
} from '@langchain/langgraph';
import { lightRunContexts, restoreRunContexts, RunContext } from './run-context';

const CHILD_CONFIG = Symbol.for('lc:child_config');

class Named extends BaseCallbackHandler {
  constructor(readonly name: string) {
    super();
  }
}

type Store = { constructor: { name: string }; tracingEnabled?: unknown; extra?: Record<symbol, unknown> };

/** What `runWithConfig` leaves in the async context for the code a runnable calls. */
function storeInside(config: { callbacks?: Callbacks; metadata?: Record<string, unknown> }): Store {
  return AsyncLocalStorageProviderSingleton.runWithConfig(
    config,
    () => AsyncLocalStorageProviderSingleton.getInstance().getStore() as Store,
  );
}

/** What the code a runnable calls reads of the async context `runWithConfig` opens for it. */
function seenInside(config: { callbacks?: Callbacks; metadata?: Record<string, unknown> }) {
  return AsyncLocalStorageProviderSingleton.runWithConfig(config, () => {
    // A tracer handed to a runnable inside: LangChain drops it where the context says tracing is off.
    const inner = CallbackManager._configureSync(
      [new Named('inner'), new LangChainTracer()],
      undefined,
      undefined,
      undefined,
      config.metadata,
    );
    return {
      config: AsyncLocalStorageProviderSingleton.getRunnableConfig() as unknown,
      tracing: LangChainTracer.getTraceableRunTree()?.tracingEnabled as unknown,
      variable: getContextVariable('answer'),
      handlers: inner?.handlers.map((handler) => handler.name),
      outer: CallbackManager._configureSync(config.callbacks)?.handlers.map((handler) => handler.name),
    };
  });
}

function configs(): Array<{ callbacks?: Callbacks; metadata?: Record<string, unknown> }> {
  const manager = new CallbackManager();
  manager.addHandler(new Named('kept'), true);
  return [{}, { callbacks: [new Named('a'), new Named('b')] }, { callbacks: manager, metadata: { step: 2 } }];
}

describe('lightRunContexts', () => {
  beforeAll(() => {
    // Node's AsyncLocalStorage, as LangGraph installs it when loaded.
    expect(AsyncLocalStorageProviderSingleton.getInstance().constructor.name).toBe('AsyncLocalStorage');
  });

  afterAll(() => {
    lightRunContexts();
  });

  it("replaces what LangChain's own runWithConfig does when nothing traces: a RunTree, tracing off, carrying the config", () => {
    restoreRunContexts();
    const config = { metadata: { a: 1 } };
    const store = storeInside(config);
    // If LangChain changes this, RunContext no longer stands for what it replaces.
    expect(store.constructor.name).toBe('RunTree');
    expect(store.tracingEnabled).toBe(false);
    expect(store.extra?.[CHILD_CONFIG]).toBe(config);
  });

  it('gives the code a runnable calls what LangChain gives it: the config, tracing off, the context variables', () => {
    restoreRunContexts();
    setContextVariable('answer', 42);
    const langchains = configs().map((config) => ({ config, seen: seenInside(config) }));
    expect(lightRunContexts()).toBe(true);
    for (const { config, seen } of langchains) {
      const light = seenInside(config);
      expect(light).toEqual(seen);
      expect(light.config).toBe(config);
      expect(light.tracing).toBe(false);
      expect(light.variable).toBe(42);
      expect(light.handlers).toEqual(['inner']);
    }
  });

  it('leaves a RunContext, not a RunTree, where nothing traces, and is put in place once', () => {
    expect(lightRunContexts()).toBe(true);
    const replaced = AsyncLocalStorageProviderSingleton.runWithConfig;
    expect(lightRunContexts()).toBe(true);
    expect(AsyncLocalStorageProviderSingleton.runWithConfig).toBe(replaced);
    expect(storeInside({})).toBeInstanceOf(RunContext);
  });

  it('keeps LangChain’s way for a run whose callbacks hold a LangSmith tracer', () => {
    expect(lightRunContexts()).toBe(true);
    const tracer = new LangChainTracer();
    for (const callbacks of [[tracer], CallbackManager.fromHandlers(tracer)]) {
      expect(storeInside({ callbacks }).constructor.name).toBe('RunTree');
    }
  });

  it('keeps LangChain’s way everywhere when LangSmith tracing is on in the environment', () => {
    restoreRunContexts();
    const langchains = AsyncLocalStorageProviderSingleton.runWithConfig;
    for (const name of ['LANGSMITH_TRACING', 'LANGCHAIN_TRACING_V2']) {
      expect(lightRunContexts({ [name]: 'true' })).toBe(false);
      expect(AsyncLocalStorageProviderSingleton.runWithConfig).toBe(langchains);
    }
    expect(lightRunContexts({ LANGSMITH_TRACING: 'false' })).toBe(true);
    expect(AsyncLocalStorageProviderSingleton.runWithConfig).not.toBe(langchains);
  });

  it("lets LangGraph's nodes read their config from it: getConfig, interrupt and its resume", async () => {
    expect(lightRunContexts()).toBe(true);
    const State = Annotation.Root({ answer: Annotation<string> });
    const seen: Array<{ store: unknown; thread: unknown }> = [];
    const graph = new StateGraph(State)
      .addNode('ask', (_state: typeof State.State, config: LangGraphRunnableConfig) => {
        seen.push({
          store: AsyncLocalStorageProviderSingleton.getInstance().getStore(),
          thread: getConfig().configurable?.thread_id,
        });
        expect(getConfig().configurable?.thread_id).toBe(config.configurable?.thread_id);
        return { answer: interrupt<string, string>('question') };
      })
      .addEdge(START, 'ask')
      .compile({ checkpointer: new MemorySaver() });
    const thread = { configurable: { thread_id: 't1' } };

    const paused = (await graph.invoke({ answer: '' }, thread)) as {
      __interrupt__?: Array<{ value: unknown }>;
    };
    expect(paused.__interrupt__?.[0]?.value).toBe('question');
    const resumed = await graph.invoke(new Command({ resume: 'yes' }), thread);
    expect(resumed.answer).toBe('yes');

    expect(seen).toHaveLength(2);
    for (const { store, thread: id } of seen) {
      expect(store).toBeInstanceOf(RunContext);
      expect(id).toBe('t1');
    }
  });
});
