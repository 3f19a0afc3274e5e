import type { Callbacks } from '@langchain/core/callbacks/manager';
import { AsyncLocalStorageProviderSingleton, _CONTEXT_VARIABLES_KEY } from '@langchain/core/singletons';

/** Where LangChain keeps a runnable's config in the async context (`getRunnableConfig` reads it). */
const CHILD_CONFIG = Symbol.for('lc:child_config');
/** Marks LangChain's provider once its `runWithConfig` is replaced, so that it is replaced once. */
const LIGHTENED = Symbol.for('auxilia:light-run-context');

/** LangSmith's switches, as LangChain reads them: any of them `true` turns tracing on. */
const TRACING_VARIABLES = [
  'LANGSMITH_TRACING_V2',
  'LANGCHAIN_TRACING_V2',
  'LANGSMITH_TRACING',
  'LANGCHAIN_TRACING',
];

type RunWithConfig = <T>(config: unknown, callback: () => T, avoidCreatingRootRunTree?: boolean) => T;
type Provider = typeof AsyncLocalStorageProviderSingleton & { [LIGHTENED]?: RunWithConfig };

/**
 * What a runnable that nothing traces leaves in the async context for the code it calls: its config, and
 * the context variables it inherited. LangChain leaves a LangSmith `RunTree` there, with tracing off,
 * which is all that the code it calls reads of it.
 */
export class RunContext {
  readonly tracingEnabled = false;
  readonly extra: { [CHILD_CONFIG]: unknown };
  [_CONTEXT_VARIABLES_KEY]?: unknown;

  constructor(config: unknown, variables: unknown) {
    this.extra = { [CHILD_CONFIG]: config };
    if (variables !== undefined) this[_CONTEXT_VARIABLES_KEY] = variables;
  }
}

/**
 * Every node of a LangGraph graph, and every channel write and branch, runs in an async context that
 * LangChain opens with `runWithConfig`. When nothing traces the run, LangChain still builds a LangSmith
 * `RunTree` there to carry the config, with tracing off; building one reads a dozen environment variables
 * and draws a UUID, about a tenth of what the graph costs per answer. Here a `RunContext` carries the same
 * config instead. Runs with a LangSmith tracer among their callbacks, and every run when LangSmith tracing
 * is on in the environment, keep LangChain's own way. Returns whether the lighter context is in place.
 *
 * Code that calls `setContextVariable` inside a node would lose the node's config for what it calls next
 * (LangChain copies the context only when it is a `RunTree`); nothing in this service does.
 */
export function lightRunContexts(env: NodeJS.ProcessEnv = process.env): boolean {
  const provider = AsyncLocalStorageProviderSingleton as Provider;
  if (provider[LIGHTENED]) return true;
  if (TRACING_VARIABLES.some((name) => env[name] === 'true')) return false;
  const langchains = provider.runWithConfig;
  provider[LIGHTENED] = langchains;
  provider.runWithConfig = function <T>(
    config: unknown,
    callback: () => T,
    avoidCreatingRootRunTree?: boolean,
  ): T {
    if (avoidCreatingRootRunTree || hasTracer((config as { callbacks?: Callbacks } | undefined)?.callbacks)) {
      return langchains.call(this, config, callback, avoidCreatingRootRunTree) as T;
    }
    const storage = this.getInstance();
    const previous = storage.getStore() as Record<symbol, unknown> | undefined;
    return storage.run(new RunContext(config, previous?.[_CONTEXT_VARIABLES_KEY]), callback);
  };
  return true;
}

/** Gives LangChain its own `runWithConfig` back. */
export function restoreRunContexts(): void {
  const provider = AsyncLocalStorageProviderSingleton as Provider;
  const langchains = provider[LIGHTENED];
  if (!langchains) return;
  provider.runWithConfig = langchains;
  delete provider[LIGHTENED];
}

/** Whether the callbacks hold LangChain's LangSmith tracer (it goes by this name). */
function hasTracer(callbacks: Callbacks | undefined): boolean {
  if (callbacks === undefined) return false;
  const handlers = Array.isArray(callbacks) ? callbacks : callbacks.handlers;
  return handlers.some((handler) => (handler as { name?: unknown } | undefined)?.name === 'langchain_tracer');
}
