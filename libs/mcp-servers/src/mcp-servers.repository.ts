import type { McpServer } from './mcp-server';

/** Where the registry lives; bound to its Redis implementation in McpServersModule. */
export abstract class McpServersRepository {
  abstract list(): Promise<McpServer[]>;
  abstract find(id: string): Promise<McpServer | undefined>;
  /** False when the id is taken. */
  abstract create(server: McpServer): Promise<boolean>;
  /** Applies `change` to the stored entry atomically; undefined when there is no such server. */
  abstract update(id: string, change: (current: McpServer) => McpServer): Promise<McpServer | undefined>;
  /** False when there was no such server. The id is remembered so that a seed never brings it back. */
  abstract remove(id: string): Promise<boolean>;
  /** Stores each server whose id was never seeded, created or deleted before; returns the ids stored. */
  abstract seed(servers: McpServer[]): Promise<string[]>;
}
