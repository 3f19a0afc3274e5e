import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { buildOpenApiDocument, CONTRACT_FILES, renderContract } from '../src/openapi';
import { startApp, type RunningApp } from './support/app';

const HINT = 'The contract differs from the app: run `npm run openapi` and commit openapi/.';

describe('the committed contract', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp();
  });
  afterAll(() => running.close());

  it('is exactly what the app generates (openapi.yaml and the consumer types)', async () => {
    const rendered = await renderContract(buildOpenApiDocument(running.app));
    const committedYaml = readFileSync(CONTRACT_FILES.yaml, 'utf8');
    const committedTypes = readFileSync(CONTRACT_FILES.types, 'utf8');
    expect({ hint: HINT, yaml: committedYaml }).toEqual({ hint: HINT, yaml: rendered.yaml });
    expect({ hint: HINT, types: committedTypes }).toEqual({ hint: HINT, types: rendered.types });
  });

  it('is served at /openapi.json', async () => {
    const served = await (await fetch(`${running.baseUrl}/openapi.json`)).json();
    expect(served).toEqual(parse(readFileSync(CONTRACT_FILES.yaml, 'utf8')));
  });

  it('serves the Swagger UI at /docs', async () => {
    const res = await fetch(`${running.baseUrl}/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
  });

  it('gives every operation a unique operationId, a summary and a description', () => {
    const doc = parse(readFileSync(CONTRACT_FILES.yaml, 'utf8')) as {
      paths: Record<string, Record<string, { operationId?: string; summary?: string; description?: string }>>;
    };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ at: `${method.toUpperCase()} ${path}`, ...op })),
    );
    expect(ops.length).toBeGreaterThan(0);
    for (const op of ops) {
      expect({
        at: op.at,
        summary: !!op.summary,
        description: !!op.description,
        id: !!op.operationId,
      }).toEqual({
        at: op.at,
        summary: true,
        description: true,
        id: true,
      });
    }
    const ids = ops.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('declares every error response as problem+json', () => {
    const doc = parse(readFileSync(CONTRACT_FILES.yaml, 'utf8')) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>
      >;
    };
    for (const methods of Object.values(doc.paths)) {
      for (const op of Object.values(methods)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) >= 400)
            expect(Object.keys(response.content ?? {})).toEqual(['application/problem+json']);
        }
      }
    }
  });
});
