import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { MCP_SERVER_ID_PATTERN, MCP_TRANSPORTS, type McpTransportKind } from '../mcp-server';

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

export class OAuthClientInputDto {
  @ApiProperty({ example: 'auxilia-prod', description: 'Client id registered with the authorization server' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  clientId: string;

  @ApiPropertyOptional({ description: 'Client secret (write-only: responses only say whether one is set)' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  clientSecret?: string;
}

export class CreateMcpServerDto {
  @ApiProperty({ example: 'deepwiki', pattern: MCP_SERVER_ID_PATTERN.source })
  @Matches(MCP_SERVER_ID_PATTERN, {
    message: 'id must be 1-63 lowercase letters, digits, "-" or "_", starting with a letter or digit',
  })
  id: string;

  @ApiProperty({ example: 'DeepWiki' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 'https://mcp.deepwiki.com/mcp', description: 'The MCP endpoint (http or https)' })
  @IsUrl(URL_OPTIONS, { message: 'url must be an http(s) URL' })
  @MaxLength(2048)
  url: string;

  @ApiPropertyOptional({ example: 'https://deepwiki.com/favicon.ico' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  icon?: string;

  @ApiPropertyOptional({ example: 'Answers about public GitHub repositories' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ description: 'The server needs an OAuth authorization first (false when absent)' })
  @IsOptional()
  @IsBoolean()
  requiresOAuth?: boolean;

  @ApiPropertyOptional({
    enum: MCP_TRANSPORTS,
    description: 'Absent: streamable HTTP, falling back to the legacy HTTP+SSE transport on a 4xx',
  })
  @IsOptional()
  @IsIn(MCP_TRANSPORTS)
  transport?: McpTransportKind;

  @ApiPropertyOptional({
    type: OAuthClientInputDto,
    description: 'A pre-registered OAuth client; without it the client registers dynamically',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => OAuthClientInputDto)
  oauthClient?: OAuthClientInputDto;
}

// A null would otherwise pass as "absent" and be stored over a required field.
export class UpdateMcpServerDto extends PartialType(OmitType(CreateMcpServerDto, ['id'] as const), {
  skipNullProperties: false,
}) {}

export class OAuthClientViewDto {
  @ApiProperty({ example: 'auxilia-prod' }) clientId: string;
  @ApiProperty({ description: 'A client secret is stored (it is never returned)' }) hasClientSecret: boolean;
}

export class McpServerDto {
  @ApiProperty({ example: 'deepwiki' }) id: string;
  @ApiProperty({ example: 'DeepWiki' }) name: string;
  @ApiProperty({ example: 'https://mcp.deepwiki.com/mcp' }) url: string;
  @ApiPropertyOptional() icon?: string;
  @ApiPropertyOptional() description?: string;
  @ApiProperty() requiresOAuth: boolean;
  @ApiPropertyOptional({ enum: MCP_TRANSPORTS }) transport?: McpTransportKind;
  @ApiPropertyOptional({ type: OAuthClientViewDto }) oauthClient?: OAuthClientViewDto;
  @ApiProperty({
    description:
      'Usable without an authorization step: for a server that requires OAuth, tokens are held for it; ' +
      'a server that requires no OAuth is always connected',
  })
  connected: boolean;
}

export class McpToolDto {
  @ApiProperty({ example: 'read_wiki_structure' }) name: string;
  @ApiPropertyOptional({ example: 'Read wiki structure' }) title?: string;
  @ApiProperty({ example: 'Lists the documentation topics of a repository' }) description: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'JSON Schema of the tool arguments',
    example: { type: 'object', properties: { repoName: { type: 'string' } } },
  })
  inputSchema: Record<string, unknown>;
}

export class ListToolsQueryDto {
  @ApiPropertyOptional({ description: 'true: ask the server again instead of using the cache' })
  @IsOptional()
  @IsIn(['true', 'false'])
  refresh?: 'true' | 'false';
}
