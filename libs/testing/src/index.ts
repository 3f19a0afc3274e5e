export * from './free-port';
export * from './redis-server';
export * from './openai-server';
export * from './mcp';
export * from './silent-server';
