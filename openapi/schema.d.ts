// Generated from openapi/openapi.yaml by `npm run openapi`. Do not edit.

export interface paths {
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
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
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
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
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
}
