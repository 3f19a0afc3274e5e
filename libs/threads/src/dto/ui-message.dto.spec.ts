import { BadRequestException, type Type } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createValidationPipe } from '@auxilia/core';
import { CreateThreadDto, ListThreadsQueryDto, UpdateThreadDto } from './thread.dto';
import { chatRequestLike } from '@auxilia/testing';
import { ChatRequestDto } from './ui-message.dto';

const pipe = createValidationPipe();

async function valueOr400(metatype: Type, type: 'body' | 'query', input: unknown): Promise<void> {
  try {
    await pipe.transform(input, { type, metatype });
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
  }
}

describe('Thread and chat DTOs under arbitrary input', () => {
  it('ChatRequestDto: any UIMessage-shaped body gives the value or a 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(chatRequestLike(), fc.jsonValue()), (input) =>
        valueOr400(ChatRequestDto, 'body', input),
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
      fc.asyncProperty(body, (input) => valueOr400(metatype, 'body', input)),
      { numRuns: 300 },
    );
  });

  it('ListThreadsQueryDto: any query string values give the value or a 400', async () => {
    const query = fc.dictionary(
      fc.constantFrom('agentId', 'limit', 'cursor', 'x'),
      fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.integer().map(String)),
    );
    await fc.assert(
      fc.asyncProperty(query, (input) => valueOr400(ListThreadsQueryDto, 'query', input)),
      {
        numRuns: 300,
      },
    );
  });
});
