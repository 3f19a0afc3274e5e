export const MCP_TRANSPORTS = ['streamable-http', 'sse'] as const;
export type McpTransportKind = (typeof MCP_TRANSPORTS)[number];

/** A pre-registered OAuth client for a server whose authorization server does not offer registration. */
export interface McpOAuthClient {
  clientId: string;
  clientSecret?: string;
}

/** A registry entry as stored; `oauthClient.clientSecret` never leaves the service. */
export interface McpServer {
  id: string;
  name: string;
  url: string;
  icon?: string;
  description?: string;
  requiresOAuth: boolean;
  /** Absent: try streamable HTTP, fall back to the legacy HTTP+SSE transport on a 4xx. */
  transport?: McpTransportKind;
  oauthClient?: McpOAuthClient;
}

export const MCP_SERVER_ID_PATTERN = /^[a-z0-9][a-z0-9-_]{0,62}$/;
