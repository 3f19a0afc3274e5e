import { isDeepStrictEqual } from 'node:util';
import type { CheckpointMetadata } from '@langchain/langgraph-checkpoint';
import type { ChainableCommander } from 'ioredis';

export type MetadataFilter = Record<string, unknown>;

/** A metadata key matches when its value equals the filter's, compared structurally. */
export function matchesFilter(metadata: CheckpointMetadata, filter: MetadataFilter): boolean {
  const record: Record<string, unknown> = metadata;
  return Object.entries(filter).every(([key, value]) => isDeepStrictEqual(record[key], value));
}

export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`RedisSaver: configurable.${field} must be a string`);
  return value;
}

export async function execOrThrow(tx: ChainableCommander): Promise<void> {
  const results = await tx.exec();
  if (results === null) throw new Error('RedisSaver: transaction was aborted');
  for (const [error] of results) if (error) throw error;
}
