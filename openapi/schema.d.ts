// Generated from openapi/openapi.yaml by `npm run openapi`. Do not edit.

export interface paths {
    "/agents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List agents
         * @description Every agent, sorted by id: the seeded ones still present and those created through the API.
         */
        get: operations["listAgents"];
        put?: never;
        /**
         * Create an agent
         * @description Creates an agent with a system prompt (`instructions`), an optional model (else OPENAI_MODEL) and the MCP servers whose tools it may call.
         */
        post: operations["createAgent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/agents/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get an agent
         * @description One agent by id.
         */
        get: operations["getAgent"];
        put?: never;
        post?: never;
        /**
         * Delete an agent
         * @description Removes the agent. A deleted seed is not seeded again at the next start.
         */
        delete: operations["deleteAgent"];
        options?: never;
        head?: never;
        /**
         * Update an agent
         * @description Changes the fields given; `null` clears `description` or `model`. The next turn uses the change.
         */
        patch: operations["updateAgent"];
        trace?: never;
    };
    "/agents/{id}/mcp-servers/{serverId}/tools": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the tools of one of an agent’s MCP servers, with their policies
         * @description The tools the MCP server offers (as GET /mcp-servers/{id}/list-tools, from its cache), each with the policy the agent applies: `always_allow` (the default), `needs_approval` or `disabled`.
         */
        get: operations["listAgentTools"];
        /**
         * Set the tool policies of one of an agent’s MCP servers
         * @description Replaces the policies of this server: the tools named get the policy given, every other tool `always_allow`; `{"tools": {}}` allows them all. Each named tool must be one the server offers now (else 400 listing `unknownTools`), so the server is asked for its tools first. Other fields of the agent, and the policies of its other servers, are left as they are.
         */
        put: operations["setAgentToolPolicies"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Service health
         * @description Checks the dependencies the service needs (Redis). 200 when all are up, 503 with details otherwise.
         */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/mcp-servers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List MCP servers
         * @description Every registered MCP server, sorted by id, with whether it is connected. Secrets are never shown.
         */
        get: operations["listMcpServers"];
        put?: never;
        /**
         * Register an MCP server
         * @description Adds a server to the registry. Without `transport`, streamable HTTP is tried first and the legacy HTTP+SSE transport on a 4xx. An OAuth client secret is stored but never returned.
         */
        post: operations["createMcpServer"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/mcp-servers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get an MCP server
         * @description One registered MCP server, with whether it is connected.
         */
        get: operations["getMcpServer"];
        put?: never;
        post?: never;
        /**
         * Remove an MCP server
         * @description Removes the server, ends its session and forgets its OAuth tokens and client. A seeded server that was removed is not seeded again.
         */
        delete: operations["deleteMcpServer"];
        options?: never;
        head?: never;
        /**
         * Change an MCP server
         * @description Changes the given fields; the server session is restarted so the change applies to the next call. Seeding at start never overwrites a change made here.
         */
        patch: operations["updateMcpServer"];
        trace?: never;
    };
    "/mcp-servers/{id}/callback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * OAuth redirect target of an MCP server authorization
         * @description The authorization server sends the browser here. The state is accepted once, for this server only, before it expires; the code is exchanged for tokens, which are stored encrypted, and the outcome is published on the Redis channel `auth:callback:{state}` for waiters on any instance. Answers an HTML page, JSON when the client asks for it, or a 302 to OAUTH_SUCCESS_REDIRECT_URL when that is set.
         */
        get: operations["completeMcpServerAuthorization"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/mcp-servers/{id}/list-tools": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the tools of an MCP server
         * @description The tools the server offers, cached with its session until the session is replaced; `refresh=true` asks the server again. When the server needs authorization the answer is 401 `oauth_required` with `authorizationUrl`, `state` and `expiresAt`.
         */
        get: operations["listMcpServerTools"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/mcp-servers/{id}/oauth": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Disconnect an MCP server
         * @description Forgets the OAuth tokens and client of the server and ends its session: the next use asks for authorization again.
         */
        delete: operations["disconnectMcpServer"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/mcp-servers/{id}/oauth/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Wait for the outcome of an authorization (SSE)
         * @description A Server-Sent Events stream that sends one event, `authorized` or `error` (data: the outcome), when the callback of this state completes on any instance, or `timeout` when the state expires, then closes. An outcome published before the stream opened is still sent (it is kept for two minutes).
         */
        get: operations["waitForMcpServerAuthorization"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/threads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List threads
         * @description Newest first, a page at a time: pass `nextCursor` as `cursor` to get the next page.
         */
        get: operations["listThreads"];
        put?: never;
        /**
         * Create a thread
         * @description Starts an empty conversation with an agent. The id is generated by the server; chat clients use it as their chat id.
         */
        post: operations["createThread"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/threads/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a thread and its messages
         * @description The thread, whether a run is active, and its messages as AI SDK UIMessages rebuilt from the checkpoint (what the chat client built from the streams).
         */
        get: operations["getThread"];
        put?: never;
        post?: never;
        /**
         * Delete a thread
         * @description Removes the thread, its checkpoints and its last event log. Refused while a run is active.
         */
        delete: operations["deleteThread"];
        options?: never;
        head?: never;
        /**
         * Rename a thread
         * @description Sets the title.
         */
        patch: operations["updateThread"];
        trace?: never;
    };
    "/threads/{id}/stop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Stop the active run
         * @description Cancels the active run, on whichever instance runs it, and answers once it has ended (its stream then closes with `abort`, `finish` and `[DONE]`); the thread takes the next message right away.
         */
        post: operations["stopThread"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/threads/{id}/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Resume the active run
         * @description Replays the active run from after `Last-Event-ID` (from its start without it) and follows it to its end, on any instance. 204 when no run is active. This is the route `DefaultChatTransport` calls to resume (`GET {api}/{chatId}/stream`).
         */
        get: operations["resumeThreadStream"];
        put?: never;
        /**
         * Send a message and stream the answer
         * @description Takes the AI SDK `DefaultChatTransport` body; only the last message is read, the history comes from the thread. A user message with text starts a turn. When the thread awaits approval, the assistant message whose tool parts were answered with `addToolApprovalResponse` (state `approval-responded`) resumes the paused run: approved calls run, denied ones end as `tool-output-denied` and the model is told. A run that calls a tool needing approval streams `tool-approval-request` chunks and finishes. The thread id in the path wins over the body's `id`. The run goes on if the client disconnects: resume it with `GET /threads/{id}/stream`. Errors found before the run starts are problem JSON; later ones are an `error` chunk followed by `finish`.
         */
        post: operations["streamThread"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        AgentDto: {
            /** @example A general helper */
            description?: string;
            /**
             * @description Unique id (a lowercase slug)
             * @example assistant
             */
            id: string;
            /**
             * @description The system prompt
             * @example You are a helpful assistant.
             */
            instructions: string;
            /**
             * @description MCP servers whose tools it may call
             * @example [
             *       "deepwiki"
             *     ]
             */
            mcpServerIds: string[];
            /**
             * @description Model name; OPENAI_MODEL when absent
             * @example gpt-4o-mini
             */
            model?: string;
            /** @example Assistant */
            name: string;
            /**
             * @description Per MCP server id, per tool name: the tools that are not `always_allow`. Absent when every tool of every server is `always_allow` (never `{}`). Set with PUT /agents/{id}/mcp-servers/{serverId}/tools.
             * @example {
             *       "everything": {
             *         "echo": "needs_approval",
             *         "get-sum": "disabled"
             *       }
             *     }
             */
            toolPolicies?: {
                [key: string]: {
                    [key: string]: "needs_approval" | "disabled";
                };
            };
        };
        AgentToolDto: {
            /** @example Lists the documentation topics of a repository */
            description: string;
            /**
             * @description JSON Schema of the tool arguments
             * @example {
             *       "properties": {
             *         "repoName": {
             *           "type": "string"
             *         }
             *       },
             *       "type": "object"
             *     }
             */
            inputSchema: {
                [key: string]: unknown;
            };
            /** @example read_wiki_structure */
            name: string;
            /**
             * @description `always_allow` unless the agent says otherwise
             * @example needs_approval
             * @enum {string}
             */
            policy: "always_allow" | "needs_approval" | "disabled";
            /** @example Read wiki structure */
            title?: string;
        };
        ChatRequestDto: {
            /** @description The client's chat id; the thread id in the path wins */
            id: string;
            /** @description Id for the assistant message the run produces */
            messageId?: string;
            /** @description Only the last message is read: a user message with a text part, or the assistant message carrying the user's approval responses */
            messages: components["schemas"]["UIMessageDto"][];
            /** @enum {string} */
            trigger: "submit-message" | "regenerate-message";
        };
        CreateAgentDto: {
            /** @example A general helper */
            description?: string;
            /**
             * @description Unique id: lowercase letters, digits, - and _
             * @example assistant
             */
            id: string;
            /**
             * @description The system prompt
             * @example You are a helpful assistant.
             */
            instructions: string;
            /**
             * @description Default: none
             * @example [
             *       "deepwiki"
             *     ]
             */
            mcpServerIds?: string[];
            /**
             * @description Model name; OPENAI_MODEL when absent
             * @example gpt-4o-mini
             */
            model?: string;
            /** @example Assistant */
            name: string;
        };
        CreateMcpServerDto: {
            /** @example Answers about public GitHub repositories */
            description?: string;
            /** @example https://deepwiki.com/favicon.ico */
            icon?: string;
            /** @example deepwiki */
            id: string;
            /** @example DeepWiki */
            name: string;
            /** @description A pre-registered OAuth client; without it the client registers dynamically */
            oauthClient?: components["schemas"]["OAuthClientInputDto"];
            /** @description The server needs an OAuth authorization first (false when absent) */
            requiresOAuth?: boolean;
            /**
             * @description Absent: streamable HTTP, falling back to the legacy HTTP+SSE transport on a 4xx
             * @enum {string}
             */
            transport?: "streamable-http" | "sse";
            /**
             * @description The MCP endpoint (http or https)
             * @example https://mcp.deepwiki.com/mcp
             */
            url: string;
        };
        CreateThreadDto: {
            /**
             * @description The agent that answers in this thread
             * @example assistant
             */
            agentId: string;
            /** @example Trip to Lisbon */
            title?: string;
        };
        FieldErrorDto: {
            /** @example url */
            field: string;
            /**
             * @example [
             *       "url must be a URL address"
             *     ]
             */
            messages: string[];
        };
        HealthDto: {
            /**
             * @example {
             *       "redis": {
             *         "latencyMs": 0.4,
             *         "status": "up"
             *       }
             *     }
             */
            details: {
                [key: string]: unknown;
            };
            /** @example {} */
            error: {
                [key: string]: unknown;
            };
            /**
             * @example {
             *       "redis": {
             *         "latencyMs": 0.4,
             *         "status": "up"
             *       }
             *     }
             */
            info: {
                [key: string]: unknown;
            };
            /**
             * @example ok
             * @enum {string}
             */
            status: "ok" | "error" | "degraded";
        };
        McpServerDto: {
            /** @description Usable without an authorization step: for a server that requires OAuth, tokens are held for it; a server that requires no OAuth is always connected */
            connected: boolean;
            description?: string;
            icon?: string;
            /** @example deepwiki */
            id: string;
            /** @example DeepWiki */
            name: string;
            oauthClient?: components["schemas"]["OAuthClientViewDto"];
            requiresOAuth: boolean;
            /** @enum {string} */
            transport?: "streamable-http" | "sse";
            /** @example https://mcp.deepwiki.com/mcp */
            url: string;
        };
        McpServerProblemDto: {
            /** @example No MCP server "notion" */
            detail?: string;
            /** @description A machine-readable code for problems a client acts on */
            error?: string;
            /** @description Each invalid field (validation problems) */
            errors?: components["schemas"]["FieldErrorDto"][];
            /**
             * @description The request path
             * @example /mcp-servers/notion
             */
            instance?: string;
            /** @description The request id, also in the x-request-id header */
            requestId?: string;
            /**
             * @description The MCP server concerned
             * @example deepwiki
             */
            serverId: string;
            /** @example 404 */
            status: number;
            /** @example Not Found */
            title: string;
            /**
             * @description A URI naming the kind of problem
             * @example https://auxilia.dev/problems/not-found
             */
            type: string;
        };
        McpToolDto: {
            /** @example Lists the documentation topics of a repository */
            description: string;
            /**
             * @description JSON Schema of the tool arguments
             * @example {
             *       "properties": {
             *         "repoName": {
             *           "type": "string"
             *         }
             *       },
             *       "type": "object"
             *     }
             */
            inputSchema: {
                [key: string]: unknown;
            };
            /** @example read_wiki_structure */
            name: string;
            /** @example Read wiki structure */
            title?: string;
        };
        OAuthClientInputDto: {
            /**
             * @description Client id registered with the authorization server
             * @example auxilia-prod
             */
            clientId: string;
            /** @description Client secret (write-only: responses only say whether one is set) */
            clientSecret?: string;
        };
        OAuthClientViewDto: {
            /** @example auxilia-prod */
            clientId: string;
            /** @description A client secret is stored (it is never returned) */
            hasClientSecret: boolean;
        };
        OAuthOutcomeDto: {
            /**
             * @description OAuth error code, when status is error
             * @example access_denied
             */
            error?: string;
            /** @example The resource owner denied the request */
            errorDescription?: string;
            /** @example notion */
            serverId: string;
            /** @description The OAuth state of the authorization */
            state: string;
            /** @enum {string} */
            status: "authorized" | "error";
        };
        OAuthRequiredProblemDto: {
            /** @description Open in a browser; the flow ends at GET /mcp-servers/{id}/callback */
            authorizationUrl: string;
            /** @example No MCP server "notion" */
            detail?: string;
            /** @description A machine-readable code for problems a client acts on */
            error?: string;
            /** @description Each invalid field (validation problems) */
            errors?: components["schemas"]["FieldErrorDto"][];
            /**
             * Format: date-time
             * @description When the state stops being accepted
             */
            expiresAt: string;
            /**
             * @description The request path
             * @example /mcp-servers/notion
             */
            instance?: string;
            /** @description The request id, also in the x-request-id header */
            requestId?: string;
            /**
             * @description The MCP server concerned
             * @example deepwiki
             */
            serverId: string;
            /** @description Identifies this authorization (GET /mcp-servers/{id}/oauth/events?state=...) */
            state: string;
            /** @example 404 */
            status: number;
            /** @example Not Found */
            title: string;
            /**
             * @description A URI naming the kind of problem
             * @example https://auxilia.dev/problems/not-found
             */
            type: string;
        };
        ProblemDto: {
            /** @example No MCP server "notion" */
            detail?: string;
            /** @description A machine-readable code for problems a client acts on */
            error?: string;
            /** @description Each invalid field (validation problems) */
            errors?: components["schemas"]["FieldErrorDto"][];
            /**
             * @description The request path
             * @example /mcp-servers/notion
             */
            instance?: string;
            /** @description The request id, also in the x-request-id header */
            requestId?: string;
            /** @example 404 */
            status: number;
            /** @example Not Found */
            title: string;
            /**
             * @description A URI naming the kind of problem
             * @example https://auxilia.dev/problems/not-found
             */
            type: string;
        };
        SetToolPoliciesDto: {
            /**
             * @description Tool name (as the MCP server names it, 1 to 200 characters) → policy, at most 1000 entries. Replaces the server's policies: a tool not named is `always_allow`.
             * @example {
             *       "echo": "needs_approval",
             *       "get-sum": "disabled"
             *     }
             */
            tools: {
                [key: string]: "always_allow" | "needs_approval" | "disabled";
            };
        };
        ThreadDetailDto: {
            /** @example assistant */
            agentId: string;
            /** Format: date-time */
            createdAt: string;
            /**
             * Format: uuid
             * @description Generated by the server
             */
            id: string;
            /** @description The conversation as AI SDK UIMessages */
            messages: components["schemas"]["UIMessageDto"][];
            /**
             * @description `running` while a run is active (any instance); `awaiting_approval` when the last run paused on tool calls that need the user's approval (their parts are in the `approval-requested` state)
             * @enum {string}
             */
            status: "idle" | "running" | "awaiting_approval";
            /**
             * @description Null until set
             * @example Trip to Lisbon
             */
            title: string | null;
            /**
             * Format: date-time
             * @description Last change of the thread or its last message
             */
            updatedAt: string;
        };
        ThreadDto: {
            /** @example assistant */
            agentId: string;
            /** Format: date-time */
            createdAt: string;
            /**
             * Format: uuid
             * @description Generated by the server
             */
            id: string;
            /**
             * @description Null until set
             * @example Trip to Lisbon
             */
            title: string | null;
            /**
             * Format: date-time
             * @description Last change of the thread or its last message
             */
            updatedAt: string;
        };
        ThreadPageDto: {
            /** @description Newest first */
            items: components["schemas"]["ThreadDto"][];
            /** @description Pass as `cursor` for the next page; null at the end */
            nextCursor: string | null;
        };
        ToolPoliciesProblemDto: {
            /** @example No MCP server "notion" */
            detail?: string;
            /** @description A machine-readable code for problems a client acts on */
            error?: string;
            /** @description Each invalid field (validation problems) */
            errors?: components["schemas"]["FieldErrorDto"][];
            /**
             * @description The request path
             * @example /mcp-servers/notion
             */
            instance?: string;
            /** @description The request id, also in the x-request-id header */
            requestId?: string;
            /**
             * @description The MCP server concerned
             * @example everything
             */
            serverId?: string;
            /** @example 404 */
            status: number;
            /** @example Not Found */
            title: string;
            /**
             * @description A URI naming the kind of problem
             * @example https://auxilia.dev/problems/not-found
             */
            type: string;
            /**
             * @description Named tools the server does not offer (at the time of the request)
             * @example [
             *       "no-such-tool"
             *     ]
             */
            unknownTools?: string[];
        };
        UIMessageDto: {
            /** @example msg-1 */
            id: string;
            metadata?: {
                [key: string]: unknown;
            };
            /**
             * @example [
             *       {
             *         "text": "Hello",
             *         "type": "text"
             *       }
             *     ]
             */
            parts: ({
                /** @example text */
                type: string;
            } & {
                [key: string]: unknown;
            })[];
            /** @enum {string} */
            role: "system" | "user" | "assistant";
        };
        UpdateAgentDto: {
            /** @example A general helper */
            description?: string;
            /**
             * @description The system prompt
             * @example You are a helpful assistant.
             */
            instructions?: string;
            /**
             * @description Default: none
             * @example [
             *       "deepwiki"
             *     ]
             */
            mcpServerIds?: string[];
            /**
             * @description Model name; OPENAI_MODEL when absent
             * @example gpt-4o-mini
             */
            model?: string;
            /** @example Assistant */
            name?: string;
        };
        UpdateMcpServerDto: {
            /** @example Answers about public GitHub repositories */
            description?: string;
            /** @example https://deepwiki.com/favicon.ico */
            icon?: string;
            /** @example DeepWiki */
            name?: string;
            /** @description A pre-registered OAuth client; without it the client registers dynamically */
            oauthClient?: components["schemas"]["OAuthClientInputDto"];
            /** @description The server needs an OAuth authorization first (false when absent) */
            requiresOAuth?: boolean;
            /**
             * @description Absent: streamable HTTP, falling back to the legacy HTTP+SSE transport on a 4xx
             * @enum {string}
             */
            transport?: "streamable-http" | "sse";
            /**
             * @description The MCP endpoint (http or https)
             * @example https://mcp.deepwiki.com/mcp
             */
            url?: string;
        };
        UpdateThreadDto: {
            /** @example Trip to Lisbon */
            title: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listAgents: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentDto"][];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    createAgent: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateAgentDto"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentDto"];
                };
            };
            /** @description Invalid body or unknown MCP server id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description The id is taken */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    getAgent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentDto"];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No agent with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    deleteAgent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No agent with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    updateAgent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateAgentDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentDto"];
                };
            };
            /** @description Invalid body or unknown MCP server id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No agent with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    listAgentTools: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Agent id */
                id: string;
                /** @description One of the agent’s mcpServerIds */
                serverId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentToolDto"][];
                };
            };
            /** @description The MCP server needs an OAuth authorization (error "oauth_required", with authorizationUrl) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["OAuthRequiredProblemDto"];
                };
            };
            /** @description No agent with this id, or the agent does not use this MCP server (error "mcp_server_not_in_agent") */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description The MCP server could not be reached or failed (the problem names it) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["McpServerProblemDto"];
                };
            };
            /** @description The MCP server did not answer within MCP_TIMEOUT_MS (the problem names it) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["McpServerProblemDto"];
                };
            };
        };
    };
    setAgentToolPolicies: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Agent id */
                id: string;
                /** @description One of the agent’s mcpServerIds */
                serverId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetToolPoliciesDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentDto"];
                };
            };
            /** @description Invalid body (each invalid field is listed), or tools the server does not offer (`unknownTools`) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ToolPoliciesProblemDto"];
                };
            };
            /** @description The MCP server needs an OAuth authorization (error "oauth_required", with authorizationUrl) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["OAuthRequiredProblemDto"];
                };
            };
            /** @description No agent with this id, or the agent does not use this MCP server (error "mcp_server_not_in_agent") */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description The MCP server could not be reached or failed (the problem names it) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["McpServerProblemDto"];
                };
            };
            /** @description The MCP server did not answer within MCP_TIMEOUT_MS (the problem names it) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["McpServerProblemDto"];
                };
            };
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthDto"];
                };
            };
            /** @description A dependency is down; `checks` says which */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    listMcpServers: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["McpServerDto"][];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    createMcpServer: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateMcpServerDto"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["McpServerDto"];
                };
            };
            /** @description Invalid body (each invalid field is listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description The id is taken */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    getMcpServer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description MCP server id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["McpServerDto"];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No MCP server with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    deleteMcpServer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description MCP server id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No MCP server with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    updateMcpServer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description MCP server id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateMcpServerDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["McpServerDto"];
                };
            };
            /** @description Invalid body (each invalid field is listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No MCP server with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    completeMcpServerAuthorization: {
        parameters: {
            query: {
                code?: string;
                /** @description Set by the authorization server on refusal */
                error?: string;
                error_description?: string;
                state: string;
            };
            header?: never;
            path: {
                /** @description MCP server id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The server is connected */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OAuthOutcomeDto"];
                    "text/html": string;
                };
            };
            /** @description Connected; redirected to OAUTH_SUCCESS_REDIRECT_URL */
            302: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Unknown, expired, replayed or other-server state, or the authorization server refused */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description Too many requests from this client; retry after `retry-after` seconds */
            429: {
                headers: {
                    /** @description Seconds to wait */
                    "retry-after"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description The token exchange with the authorization server failed */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description Redis is unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    listMcpServerTools: {
        parameters: {
            query?: {
                /** @description true: ask the server again instead of using the cache */
                refresh?: string;
            };
            header?: never;
            path: {
                /** @description MCP server id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["McpToolDto"][];
                };
            };
            /** @description Invalid query */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description The server needs an OAuth authorization (error "oauth_required", with authorizationUrl) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["OAuthRequiredProblemDto"];
                };
            };
            /** @description No MCP server with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description The MCP server could not be reached or failed (the problem names it) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["McpServerProblemDto"];
                };
            };
            /** @description The MCP server did not answer within MCP_TIMEOUT_MS (the problem names it) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["McpServerProblemDto"];
                };
            };
        };
    };
    disconnectMcpServer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description MCP server id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Disconnected */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No MCP server with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    waitForMcpServerAuthorization: {
        parameters: {
            query: {
                /** @description The state returned with the oauth_required problem */
                state: string;
            };
            header?: never;
            path: {
                /** @description MCP server id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One event: `authorized`, `error` or `timeout` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description Invalid query */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No authorization of this server with this state */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description Redis is unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    listThreads: {
        parameters: {
            query?: {
                /** @description Only the threads of this agent */
                agentId?: string;
                /** @description The `nextCursor` of the previous page */
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ThreadPageDto"];
                };
            };
            /** @description Invalid limit or cursor */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    createThread: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateThreadDto"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ThreadDto"];
                };
            };
            /** @description Invalid body or unknown agent */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    getThread: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ThreadDetailDto"];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No thread with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    deleteThread: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No thread with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description A run is active: stop it first */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    updateThread: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateThreadDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ThreadDto"];
                };
            };
            /** @description Invalid body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No thread with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    stopThread: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The run was stopped */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No thread with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No run is active on this thread */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    resumeThreadStream: {
        parameters: {
            query?: never;
            header?: {
                /** @description The id of the last event received */
                "Last-Event-ID"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The UI message stream v1 as Server-Sent Events: `data: <chunk JSON>` with `id` = the chunk position in the run log, ending with `data: [DONE]`. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description No run is active */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Last-Event-ID is not an event id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No valid API key (only when the service sets API_KEYS) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No thread with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
    streamThread: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChatRequestDto"];
            };
        };
        responses: {
            /** @description The UI message stream v1 as Server-Sent Events: `data: <chunk JSON>` with `id` = the chunk position in the run log, ending with `data: [DONE]`. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description Invalid body; the last message is neither a user message with text nor approval answers; or not every pending approval is answered (`approvals-incomplete`) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description An MCP server of the agent needs authorization (`error: oauth_required`) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No thread with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description A run is already active on this thread (`run_active`), or an answered approval is not pending (`approval_not_pending`: answered already or never requested) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description Too many requests from this client; retry after `retry-after` seconds */
            429: {
                headers: {
                    /** @description Seconds to wait */
                    "retry-after"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description An MCP server of the agent failed */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description No model configured, or this instance is shutting down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
            /** @description An MCP server of the agent timed out */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDto"];
                };
            };
        };
    };
}
