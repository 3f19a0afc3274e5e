import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from '@jest/globals';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { Agent } from 'undici';
import { DEFAULT_SCRIPTED_MODEL_NAME, startScriptedModel } from '@auxilia/testing';
import { awaitCallbacksInPlace, createChatModel } from './chat-model';

describe('createChatModel', () => {
  it('sends requests outside the async context of the run, which pooled connections would keep', async () => {
    const model = await startScriptedModel();
    const run = new AsyncLocalStorage<string>();
    const contexts: unknown[] = [];
    // Records the context each request leaves in, and sends it as is.
    const dispatcher = new Agent().compose((dispatch) => (options, handler) => {
      contexts.push(run.getStore());
      return dispatch(options, handler);
    });
    try {
      model.enqueue('Hello');
      const llm = createChatModel({
        model: DEFAULT_SCRIPTED_MODEL_NAME,
        apiKey: 'test',
        baseURL: model.baseURL,
        maxRetries: 0,
        dispatcher,
      });
      const text = await run.run('the run', async () => {
        let out = '';
        for await (const chunk of await llm.stream('Hi')) out += String(chunk.content);
        return out;
      });
      expect(text).toBe('Hello');
    } finally {
      await dispatcher.close();
      await model.close();
    }
    expect(contexts).toEqual([undefined]);
  });

  it('has LangChain await callback handlers where they are called, unless the environment says otherwise', () => {
    const unset: NodeJS.ProcessEnv = {};
    awaitCallbacksInPlace(unset);
    expect(unset.LANGCHAIN_CALLBACKS_BACKGROUND).toBe('false');
    const chosen: NodeJS.ProcessEnv = { LANGCHAIN_CALLBACKS_BACKGROUND: 'true' };
    awaitCallbacksInPlace(chosen);
    expect(chosen.LANGCHAIN_CALLBACKS_BACKGROUND).toBe('true');
    // Done on import, so a handler created later (a tracer, per run) is awaited.
    const handler = new (class extends BaseCallbackHandler {
      name = 'any';
    })();
    expect(handler.awaitHandlers).toBe(true);
  });
});
