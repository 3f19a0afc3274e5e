import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE, ProblemDto, PUBLIC_EXTENSION } from '@auxilia/core';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** The OpenAPI document the app describes, with keys sorted so that diffs of the contract stay quiet. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('auxilia API')
    .setDescription(
      'Remote MCP servers with OAuth, LangGraph agents, checkpointed threads, and AI SDK UI message streams over SSE. ' +
        'Every error is an RFC 9457 problem (application/problem+json).',
    )
    .setVersion('0.1.0')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'One of the API_KEYS, when the service sets any' },
      'apiKey',
    )
    .addSecurityRequirements('apiKey')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controller, method) => method,
    extraModels: [ProblemDto],
  });
  markPublicOperations(document);
  return sortKeys(document) as OpenAPIObject;
}

const API_KEY_PROBLEM = {
  description: 'No valid API key (only when the service sets API_KEYS)',
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDto' } } },
};

/**
 * Operations marked @Public() need no key: the contract says so with an empty security list. Every
 * other operation may answer 401 for a missing key, unless it already declares its own 401.
 */
function markPublicOperations(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const op of Object.values(item) as { responses?: Record<string, unknown>; [k: string]: unknown }[]) {
      if (!op || typeof op !== 'object' || !op.responses) continue;
      if (op[PUBLIC_EXTENSION]) {
        delete op[PUBLIC_EXTENSION];
        op.security = [];
      } else {
        op.responses['401'] ??= API_KEY_PROBLEM;
      }
    }
  }
}

export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
}

export interface RenderedContract {
  yaml: string;
  types: string;
}

/** The two committed contract files, rendered exactly as `npm run openapi` writes them. */
export async function renderContract(document: OpenAPIObject): Promise<RenderedContract> {
  const { stringify } = await import('yaml');
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  const yaml = stringify(document, { lineWidth: 0, aliasDuplicateObjects: false });
  const header = '// Generated from openapi/openapi.yaml by `npm run openapi`. Do not edit.\n\n';
  const ast = await openapiTS(document as unknown as Parameters<typeof openapiTS>[0], { alphabetize: true });
  return { yaml, types: header + astToString(ast) };
}

export const CONTRACT_FILES = { yaml: 'openapi/openapi.yaml', types: 'openapi/schema.d.ts' } as const;
