export * from './everything-server';
export * from './oauth-mcp-server';
export type { PreRegisteredClient } from './oauth-clients';
export type { AuthorizeParamsRecord, OAuthBehaviour, OAuthFixtureStats } from './oauth-provider';
