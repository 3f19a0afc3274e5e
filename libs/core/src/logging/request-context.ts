import { AsyncLocalStorage } from 'node:async_hooks';
import { AsyncLocalStorageProviderSingleton, _CONTEXT_VARIABLES_KEY } from '@langchain/core/singletons';

/** The LangChain context variable that holds the id of the request being served. */
const REQUEST_ID = 'auxilia:requestId';

type Store = { [_CONTEXT_VARIABLES_KEY]?: Record<string, unknown> } | undefined;

let shared: AsyncLocalStorage<Store> | undefined;

/**
 * The request id travels in LangChain's async context, as one of its context variables, rather than in an
 * `AsyncLocalStorage` of its own. On Node 20 every `AsyncLocalStorage` that has once been entered costs
 * every promise the process makes afterwards (each new promise copies each instance's store), and an agent
 * run makes thousands. LangChain already has one, and carries its context variables into every runnable
 * and graph node it runs, so lines logged inside a run keep the id of the request that started it.
 */
function storage(): AsyncLocalStorage<Store> {
  if (shared === undefined) {
    // Sets LangChain's instance if nothing has yet (LangGraph does the same on import); either way, one.
    AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new AsyncLocalStorage());
    shared = AsyncLocalStorageProviderSingleton.getInstance() as AsyncLocalStorage<Store>;
  }
  return shared;
}

/**
 * Runs `fn` with `id` as the current request id, keeping any other context variables in place. Meant for
 * where a request enters the service: a runnable's config in the context is not carried into `fn`.
 */
export function runWithRequestId<T>(id: string, fn: () => T): T {
  const als = storage();
  const variables = als.getStore()?.[_CONTEXT_VARIABLES_KEY];
  return als.run({ [_CONTEXT_VARIABLES_KEY]: { ...variables, [REQUEST_ID]: id } }, fn);
}

/** The id of the request whose handling the caller is part of, if any. */
export function currentRequestId(): string | undefined {
  const id = shared?.getStore()?.[_CONTEXT_VARIABLES_KEY]?.[REQUEST_ID];
  return typeof id === 'string' ? id : undefined;
}

/** The async-context instance the request id lives in (the tests check there is only one). */
export function requestContextStorage(): AsyncLocalStorage<unknown> {
  return storage() as AsyncLocalStorage<unknown>;
}
