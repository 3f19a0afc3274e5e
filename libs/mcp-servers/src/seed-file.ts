import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { CreateMcpServerDto } from './dto/mcp-server.dto';
import type { McpServer } from './mcp-server';

/** A seed file that cannot be used: stops the start-up with one line naming the file and the entry. */
export class SeedFileError extends Error {
  override name = 'SeedFileError';
}

function messages(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    return [...Object.values(e.constraints ?? {}), ...messages(e.children ?? [], field)];
  });
}

export function toMcpServer(dto: CreateMcpServerDto): McpServer {
  const server: McpServer = {
    id: dto.id,
    name: dto.name,
    url: dto.url,
    requiresOAuth: dto.requiresOAuth ?? false,
  };
  if (dto.icon !== undefined) server.icon = dto.icon;
  if (dto.description !== undefined) server.description = dto.description;
  if (dto.transport !== undefined) server.transport = dto.transport;
  if (dto.oauthClient) server.oauthClient = { ...dto.oauthClient };
  return server;
}

/**
 * Reads the servers to seed: a JSON array of registry entries (the POST /mcp-servers body), relative
 * to the working directory. A missing file seeds nothing; a malformed one is an error.
 */
export function readSeedFile(path: string): McpServer[] | undefined {
  const file = resolve(process.cwd(), path);
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SeedFileError(`MCP_SERVERS_FILE ${path} is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new SeedFileError(`MCP_SERVERS_FILE ${path} must hold a JSON array`);
  const ids = new Set<string>();
  return parsed.map((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new SeedFileError(`MCP_SERVERS_FILE ${path}: entry ${index} must be an object`);
    }
    const dto = plainToInstance(CreateMcpServerDto, entry);
    const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) {
      const name = typeof dto.id === 'string' ? ` (${dto.id})` : '';
      throw new SeedFileError(
        `MCP_SERVERS_FILE ${path}: entry ${index}${name}: ${messages(errors).join(', ')}`,
      );
    }
    if (ids.has(dto.id)) throw new SeedFileError(`MCP_SERVERS_FILE ${path}: id "${dto.id}" appears twice`);
    ids.add(dto.id);
    return toMcpServer(dto);
  });
}
