import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createValidationPipe } from '@auxilia/core';
import { expectValueOr400 } from '@auxilia/testing';
import { CreateMcpServerDto, ListToolsQueryDto, UpdateMcpServerDto } from './mcp-server.dto';

const pipe = createValidationPipe();
const KEYS = [
  'id',
  'name',
  'url',
  'icon',
  'description',
  'requiresOAuth',
  'transport',
  'oauthClient',
  'refresh',
  'x',
];

// Values near the valid ones reach the deeper checks, not only the type checks.
const value = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(
    'deepwiki',
    'https://example.com/mcp',
    'http://[::1]/',
    'sse',
    'streamable-http',
    'true',
    '',
  ),
  fc.record({ clientId: fc.jsonValue(), clientSecret: fc.jsonValue() }, { requiredKeys: [] }),
  fc.webUrl(),
);
const body = fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom(...KEYS), value));

describe('MCP server DTOs under arbitrary input', () => {
  it.each([
    ['CreateMcpServerDto', CreateMcpServerDto],
    ['UpdateMcpServerDto', UpdateMcpServerDto],
  ])('%s: the value or a 400, never another error', async (_name, metatype) => {
    await fc.assert(
      fc.asyncProperty(body, (input) => expectValueOr400(metatype, 'body', input)),
      { numRuns: 300 },
    );
  });

  it('ListToolsQueryDto: the value or a 400', async () => {
    const query = fc.dictionary(
      fc.constantFrom('refresh', 'x'),
      fc.oneof(fc.string(), fc.array(fc.string())),
    );
    await fc.assert(
      fc.asyncProperty(query, (input) => expectValueOr400(ListToolsQueryDto, 'query', input)),
      { numRuns: 200 },
    );
  });

  it('refuses null for a field a PATCH may only change', async () => {
    await expect(
      pipe.transform({ name: null }, { type: 'body', metatype: UpdateMcpServerDto }),
    ).rejects.toThrow(BadRequestException);
  });
});
