import fc from 'fast-check';

/** UIMessage-shaped values, valid and not: the parts and roles the AI SDK sends, and junk in every slot. */
export function uiMessageLike(): fc.Arbitrary<unknown> {
  const part = fc.oneof(
    fc.record(
      { type: fc.constant('text'), text: fc.oneof(fc.string(), fc.jsonValue()) },
      { requiredKeys: ['type'] },
    ),
    fc.record(
      {
        type: fc.constantFrom(
          'reasoning',
          'file',
          'step-start',
          'tool-echo',
          'dynamic-tool',
          'data-x',
          'source-url',
        ),
        text: fc.string(),
        url: fc.string(),
        mediaType: fc.string(),
        toolCallId: fc.string(),
        state: fc.constantFrom('input-streaming', 'input-available', 'output-available', 'output-error'),
        input: fc.jsonValue(),
        output: fc.jsonValue(),
      },
      { requiredKeys: ['type'] },
    ),
    fc.jsonValue(),
  );
  return fc.oneof(
    fc.record(
      {
        id: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue()),
        role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'tool'), fc.jsonValue()),
        parts: fc.oneof(fc.array(part, { maxLength: 4 }), fc.jsonValue()),
        metadata: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue(),
  );
}

/** Bodies shaped like what `DefaultChatTransport` POSTs, with arbitrary messages. */
export function chatRequestLike(threadId: fc.Arbitrary<unknown> = fc.string({ maxLength: 40 })) {
  return fc.record(
    {
      id: fc.oneof(threadId, fc.jsonValue()),
      messages: fc.oneof(fc.array(uiMessageLike(), { minLength: 1, maxLength: 4 }), fc.jsonValue()),
      trigger: fc.oneof(fc.constantFrom('submit-message', 'regenerate-message'), fc.jsonValue()),
      messageId: fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue()),
    },
    { requiredKeys: [] },
  );
}

/** Bodies the stream route should accept: a user message with arbitrary text, alongside arbitrary parts. */
export function userChatLike(threadId: string) {
  const text = fc.string({ unit: 'binary', maxLength: 200 });
  const message = fc.record({
    id: fc.string({ minLength: 1, maxLength: 40 }),
    role: fc.constant('user'),
    parts: fc
      .tuple(text, fc.array(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue()), { maxLength: 2 }))
      .map(([t, extra]) => [{ type: 'text', text: t }, ...extra.map((p) => ({ type: 'data-x', ...p }))]),
  });
  return fc.record({
    id: fc.constant(threadId),
    messages: fc.tuple(message),
    trigger: fc.constant('submit-message'),
  });
}
