export * from './eventually';
export * from './free-port';
export * from './redis-server';
export * from './openai-server';
export * from './mcp';
export * from './silent-server';
export * from './ui-message-arbitrary';
export * from './validation';
