import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE, ProblemDto } from '@auxilia/core';

/** A problem about one MCP server (502 unreachable or failing, 504 too slow). */
export class McpServerProblemDto extends ProblemDto {
  @ApiProperty({ example: 'deepwiki', description: 'The MCP server concerned' }) serverId: string;
}

/** 401 `oauth_required`: where the user authorizes before the server can be used. */
export class OAuthRequiredProblemDto extends McpServerProblemDto {
  @ApiProperty({ description: 'Open in a browser; the flow ends at GET /mcp-servers/{id}/callback' })
  authorizationUrl: string;
  @ApiProperty({
    description: 'Identifies this authorization (GET /mcp-servers/{id}/oauth/events?state=...)',
  })
  state: string;
  @ApiProperty({ format: 'date-time', description: 'When the state stops being accepted' }) expiresAt: string;
}

/** Like ApiProblems, with a problem schema that declares its extension members. */
export function ApiProblemsOf(
  model: Type<ProblemDto>,
  ...responses: [status: number, description: string][]
) {
  return applyDecorators(
    ApiExtraModels(model),
    ...responses.map(([status, description]) =>
      ApiResponse({
        status,
        description,
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(model) } } },
      }),
    ),
  );
}
