import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { CreateThreadDto, ListThreadsQueryDto, UpdateThreadDto } from './thread.dto';
import { chatRequestLike, expectValueOr400 } from '@auxilia/testing';
import { ChatRequestDto } from './ui-message.dto';

describe('Thread and chat DTOs under arbitrary input', () => {
  it('ChatRequestDto: any UIMessage-shaped body gives the value or a 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(chatRequestLike(), fc.jsonValue()), (input) =>
        expectValueOr400(ChatRequestDto, 'body', input),
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    ['CreateThreadDto', CreateThreadDto],
    ['UpdateThreadDto', UpdateThreadDto],
  ])('%s: the value or a 400', async (_name, metatype) => {
    const body = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(fc.constantFrom('agentId', 'title', 'x'), fc.jsonValue()),
    );
    await fc.assert(
      fc.asyncProperty(body, (input) => expectValueOr400(metatype, 'body', input)),
      { numRuns: 300 },
    );
  });

  it('ListThreadsQueryDto: any query string values give the value or a 400', async () => {
    const query = fc.dictionary(
      fc.constantFrom('agentId', 'limit', 'cursor', 'x'),
      fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.integer().map(String)),
    );
    await fc.assert(
      fc.asyncProperty(query, (input) => expectValueOr400(ListThreadsQueryDto, 'query', input)),
      {
        numRuns: 300,
      },
    );
  });
});
