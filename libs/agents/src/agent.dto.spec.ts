import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createValidationPipe } from '@auxilia/core';
import { expectValueOr400 } from '@auxilia/testing';
import { CreateAgentDto, UpdateAgentDto } from './agent.dto';

const pipe = createValidationPipe();
const KEYS = ['id', 'name', 'description', 'instructions', 'model', 'mcpServerIds', 'x'];
const value = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom('assistant', 'Assistant', '', 'gpt-4o-mini'),
  fc.array(fc.oneof(fc.string(), fc.jsonValue()), { maxLength: 5 }),
);
const body = fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom(...KEYS), value));

describe('Agent DTOs under arbitrary input', () => {
  it.each([
    ['CreateAgentDto', CreateAgentDto],
    ['UpdateAgentDto', UpdateAgentDto],
  ])('%s: the value or a 400, never another error', async (_name, metatype) => {
    await fc.assert(
      fc.asyncProperty(body, (input) => expectValueOr400(metatype, 'body', input)),
      { numRuns: 300 },
    );
  });

  it('refuses null for a field a PATCH may only change', async () => {
    await expect(
      pipe.transform({ instructions: null }, { type: 'body', metatype: UpdateAgentDto }),
    ).rejects.toThrow(BadRequestException);
  });
});
