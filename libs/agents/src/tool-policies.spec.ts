import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createValidationPipe } from '@auxilia/core';
import { expectValueOr400 } from '@auxilia/testing';
import { toolPolicy, type Agent } from './agent.dto';
import { SetToolPoliciesDto } from './tool-policies.dto';
import {
  prunePolicies,
  toolPoliciesProblem,
  toolPolicyMapProblem,
  unknownToolNames,
  withServerPolicies,
} from './tool-policies';

const pipe = createValidationPipe();
const agent: Agent = {
  id: 'a',
  name: 'A',
  instructions: 'x',
  mcpServerIds: ['s1', 's2'],
  toolPolicies: { s1: { echo: 'needs_approval' }, s2: { rm: 'disabled' } },
};

async function problemOf(body: unknown): Promise<{ errors: { field: string; messages: string[] }[] }> {
  try {
    await pipe.transform(body, { type: 'body', metatype: SetToolPoliciesDto });
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return (error as BadRequestException).getResponse() as never;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('tool policy maps', () => {
  it('accepts tool name → one of the three policies', () => {
    expect(toolPolicyMapProblem({})).toBeUndefined();
    expect(
      toolPolicyMapProblem({ echo: 'always_allow', b: 'needs_approval', c: 'disabled' }),
    ).toBeUndefined();
  });

  it('names what is wrong', () => {
    expect(toolPolicyMapProblem([])).toMatch(/object/);
    expect(toolPolicyMapProblem(null)).toMatch(/object/);
    expect(toolPolicyMapProblem({ echo: 'ask' })).toBe(
      '"echo" must be one of always_allow, needs_approval, disabled',
    );
    expect(toolPolicyMapProblem({ echo: null })).toMatch(/^"echo" must be one of/);
    expect(toolPolicyMapProblem({ '': 'disabled' })).toMatch(/1 to 200 characters/);
    expect(toolPolicyMapProblem({ ['x'.repeat(201)]: 'disabled' })).toMatch(/1 to 200 characters/);
    expect(toolPolicyMapProblem({ ['x'.repeat(200)]: 'disabled' })).toBeUndefined();
    const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`t${i}`, 'disabled']));
    expect(toolPolicyMapProblem(many)).toMatch(/at most 1000/);
    delete many.t0;
    expect(toolPolicyMapProblem(many)).toBeUndefined();
  });

  it('checks the per-server shape of an agents file', () => {
    expect(toolPoliciesProblem({ s1: { echo: 'disabled' } })).toBeUndefined();
    expect(toolPoliciesProblem({ s1: { echo: 'nope' } })).toBe(
      '"s1" "echo" must be one of always_allow, needs_approval, disabled',
    );
    expect(toolPoliciesProblem({ s1: 'disabled' })).toMatch(/^"s1" must be an object/);
    expect(toolPoliciesProblem(['s1'])).toMatch(/object/);
  });

  it('refuses a bad PUT body with a 400 naming the field', async () => {
    const problem = await problemOf({ tools: { echo: 'sometimes' } });
    expect(problem.errors).toEqual([
      { field: 'tools', messages: ['tools "echo" must be one of always_allow, needs_approval, disabled'] },
    ]);
    expect((await problemOf({})).errors.map((e) => e.field)).toEqual(['tools']);
    expect((await problemOf({ tools: { echo: 'disabled' }, more: 1 })).errors.map((e) => e.field)).toEqual([
      'more',
    ]);
  });

  // Nest's pipe itself strips "__proto__" and "constructor" from every body; other Object members stay.
  it('keeps tool names that are also Object members as plain entries', async () => {
    const body = JSON.parse('{"tools":{"toString":"disabled","hasOwnProperty":"needs_approval"}}') as unknown;
    const dto = (await pipe.transform(body, {
      type: 'body',
      metatype: SetToolPoliciesDto,
    })) as SetToolPoliciesDto;
    expect(Object.entries(dto.tools).sort()).toEqual([
      ['hasOwnProperty', 'needs_approval'],
      ['toString', 'disabled'],
    ]);
  });

  it('gives the value or a 400 for arbitrary bodies', async () => {
    const policy = fc.oneof(fc.constantFrom('always_allow', 'needs_approval', 'disabled'), fc.jsonValue());
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record({ tools: fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), policy)) }),
    );
    await fc.assert(
      fc.asyncProperty(body, (input) => expectValueOr400(SetToolPoliciesDto, 'body', input)),
      { numRuns: 300 },
    );
  });
});

describe('stored policies', () => {
  it('reads the default for what is not stored, and never an Object member', () => {
    expect(toolPolicy(agent, 's1', 'echo')).toBe('needs_approval');
    expect(toolPolicy(agent, 's1', 'other')).toBe('always_allow');
    expect(toolPolicy(agent, 's3', 'echo')).toBe('always_allow');
    expect(toolPolicy(agent, 's1', 'constructor')).toBe('always_allow');
    expect(toolPolicy(agent, 'constructor', 'name')).toBe('always_allow');
    expect(toolPolicy({ ...agent, toolPolicies: undefined }, 's1', 'echo')).toBe('always_allow');
  });

  it('replaces one server, leaves the others, and stores no default', () => {
    const next = withServerPolicies(agent, 's1', { echo: 'always_allow', add: 'disabled' });
    expect(next.toolPolicies).toEqual({ s1: { add: 'disabled' }, s2: { rm: 'disabled' } });
    expect(agent.toolPolicies?.s1).toEqual({ echo: 'needs_approval' });
  });

  it('drops the member when nothing but defaults is left', () => {
    const one = withServerPolicies(agent, 's2', {});
    expect(one.toolPolicies).toEqual({ s1: { echo: 'needs_approval' } });
    const none = withServerPolicies(one, 's1', { echo: 'always_allow' });
    expect(none).not.toHaveProperty('toolPolicies');
    expect(none).toEqual({ id: 'a', name: 'A', instructions: 'x', mcpServerIds: ['s1', 's2'] });
  });

  it('keeps only the servers the agent uses', () => {
    expect(prunePolicies(agent.toolPolicies, ['s2'])).toEqual({ s2: { rm: 'disabled' } });
    expect(prunePolicies(agent.toolPolicies, [])).toBeUndefined();
    expect(prunePolicies(undefined, ['s1'])).toBeUndefined();
    expect(prunePolicies({ s1: { a: 'always_allow' } }, ['s1'])).toBeUndefined();
  });

  it('keeps a tool named __proto__ as an entry of its own', () => {
    const tools = JSON.parse('{"__proto__":"disabled"}') as Record<string, 'disabled'>;
    const next = withServerPolicies(agent, 's1', tools);
    expect(Object.keys(next.toolPolicies?.s1 ?? {})).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(next)).toolPolicies.s1).toEqual(tools);
    expect(toolPolicy(next, 's1', '__proto__')).toBe('disabled');
  });

  it('lists the names a server does not offer, in order', () => {
    expect(unknownToolNames(['b', 'echo', 'a'], [{ name: 'echo' }])).toEqual(['b', 'a']);
    expect(unknownToolNames([], [])).toEqual([]);
  });
});
