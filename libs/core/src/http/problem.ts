import { HttpException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://auxilia.dev/problems/';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/** One field of a 400 validation problem. */
export class FieldErrorDto {
  @ApiProperty({ example: 'url' }) field: string;
  @ApiProperty({ type: [String], example: ['url must be a URL address'] }) messages: string[];
}

/** RFC 9457 problem details; the body of every error response. */
export class ProblemDto {
  @ApiProperty({ example: `${TYPE_BASE}not-found`, description: 'A URI naming the kind of problem' })
  type: string;
  @ApiProperty({ example: 'Not Found' }) title: string;
  @ApiProperty({ example: 404 }) status: number;
  @ApiPropertyOptional({ example: 'No MCP server "notion"' }) detail?: string;
  @ApiPropertyOptional({ example: '/mcp-servers/notion', description: 'The request path' }) instance?: string;
  @ApiPropertyOptional({ description: 'A machine-readable code for problems a client acts on' })
  error?: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Each invalid field (validation problems)' })
  errors?: FieldErrorDto[];
  @ApiPropertyOptional({ description: 'The request id, also in the x-request-id header' }) requestId?: string;
}

export function problemType(slug: string): string {
  return TYPE_BASE + slug;
}

/**
 * An HttpException that carries a full problem body: `slug` names the type, `extensions` become
 * top-level members (e.g. `{ error: 'oauth_required', authorizationUrl }`).
 */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    slug: string,
    title: string,
    detail?: string,
    extensions: Record<string, unknown> = {},
  ) {
    super({ type: problemType(slug), title, status, detail, ...extensions }, status);
  }
}
