import { availableParallelism } from 'node:os';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
  type ValidationError,
} from 'class-validator';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const CHECKPOINTS_KEPT = ['latest', 'all'] as const;
/** Which of a thread's checkpoints Redis keeps: the latest only, or every step's. */
export type CheckpointsKept = (typeof CHECKPOINTS_KEPT)[number];

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/** Most API_WORKERS processes, `auto` included (the pattern below spells the same bound). */
const MAX_API_WORKERS = 64;

const URL_OPTS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** The environment the service reads, each variable checked once at start-up. */
export class EnvironmentVariables {
  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['redis', 'rediss'] })
  REDIS_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  REDIS_HOST?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  REDIS_PORT?: number;

  @IsOptional()
  @IsString()
  REDIS_PASSWORD?: string;

  // A brace would make the prefix part of a Redis Cluster hash tag and pin every key to one slot.
  @IsOptional()
  @Matches(/^[^{}\s]*$/, { message: 'must not contain braces or spaces' })
  REDIS_KEY_PREFIX?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @IsString()
  HOST?: string;

  // Processes serving the API on one port; `auto` is one per CPU the service may run on.
  @IsOptional()
  @Transform(emptyToUndefined)
  @Matches(/^(auto|[1-9]|[1-5]\d|6[0-4])$/, {
    message: `must be auto or a whole number from 1 to ${MAX_API_WORKERS}`,
  })
  API_WORKERS?: string;

  @IsOptional()
  @IsString()
  OPENAI_API_KEY?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl(URL_OPTS)
  OPENAI_BASE_URL?: string;

  @IsOptional()
  @IsString()
  OPENAI_MODEL?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10)
  OPENAI_MAX_RETRIES?: number;

  @IsOptional()
  @IsString()
  @MinLength(1)
  AGENTS_FILE?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  AGENT_RECURSION_LIMIT?: number;

  @IsOptional()
  @IsIn(CHECKPOINTS_KEPT)
  CHECKPOINTS_KEEP?: CheckpointsKept;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl(URL_OPTS)
  OAUTH_REDIRECT_BASE_URL?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(3600)
  OAUTH_CALLBACK_TIMEOUT_S?: number;

  @IsOptional()
  @Transform(emptyToUndefined)
  @Matches(/^([A-Za-z0-9+/]{43}=|[0-9a-fA-F]{64})$/, {
    message:
      'must be 32 bytes as base64 (44 characters) or hex (64 characters); make one with: openssl rand -base64 32',
  })
  ENCRYPTION_KEY?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  ENCRYPTION_KEY_FILE?: string;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl(URL_OPTS)
  OAUTH_SUCCESS_REDIRECT_URL?: string;

  @IsOptional()
  @IsIn(LOG_LEVELS)
  LOG_LEVEL?: LogLevel;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  LOG_PRETTY?: boolean;

  @IsOptional()
  @Transform(emptyToUndefined)
  @IsString()
  MCP_SERVERS_FILE?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  MCP_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  MCP_ALLOW_PRIVATE_NETWORKS?: boolean;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  RATE_LIMIT_CALLBACK_PER_MIN?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  RATE_LIMIT_STREAM_PER_MIN?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(100 * 1024 * 1024)
  HTTP_BODY_LIMIT_BYTES?: number;

  // Listening handles on the HTTP port in a single process: each takes one new connection per loop turn.
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  HTTP_ACCEPT_HANDLES?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_GRACE_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  RUN_LIVENESS_TIMEOUT_MS?: number;

  // Short keys are guessable; 16 characters is the least that still reads as a secret.
  @IsOptional()
  @Transform(emptyToUndefined)
  @Matches(/^\s*[\x21-\x2b\x2d-\x7e]{16,}\s*(,\s*[\x21-\x2b\x2d-\x7e]{16,}\s*)*$/, {
    message: 'must be a comma-separated list of keys of at least 16 printable characters each',
  })
  API_KEYS?: string;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  PLAYGROUND?: boolean;
}

export interface AppConfig {
  http: {
    port: number;
    host: string;
    bodyLimitBytes: number;
    shutdownGraceMs: number;
    /** Processes serving the API on the same port (1: the process itself serves). */
    workers: number;
    /** Handles on the listening socket of a single process (1: the server's own only). */
    acceptHandles: number;
  };
  redis: { url?: string; host: string; port: number; password?: string; keyPrefix: string };
  openai: { apiKey?: string; baseURL?: string; model?: string; maxRetries: number };
  /** checkpointsKeep: 'latest' keeps a thread's state once; 'all' keeps every step's copy (history). */
  agents: { file: string; recursionLimit: number; checkpointsKeep: CheckpointsKept };
  oauth: { redirectBaseUrl: string; callbackTimeoutS: number; successRedirectUrl?: string };
  encryptionKey?: Buffer;
  /** Where a generated key is kept when ENCRYPTION_KEY is unset (single-instance setups). */
  encryptionKeyFile: string;
  log: { level: LogLevel; pretty: boolean };
  /** allowPrivateNetworks: MCP and OAuth requests may reach loopback, private and metadata addresses. */
  mcp: { serversFile: string; timeoutMs: number; allowPrivateNetworks: boolean };
  /** Requests per minute and client IP on the OAuth callback and on stream creation. */
  rateLimits: { callbackPerMin: number; streamPerMin: number };
  /** Chat runs: a run whose instance stops renewing its lock for this long is failed. */
  runs: { livenessTimeoutMs: number };
  /** Bearer keys the API accepts; empty means the API is open. */
  apiKeys: string[];
  /** Serve the playground page at `/`. */
  playground: { enabled: boolean };
}

/** A bad environment: the message names each variable and what is wrong, on one line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

// Values of these may hold credentials, so an error names the variable but never echoes the value.
const SECRET_VARS = /KEY|PASSWORD|SECRET|TOKEN|REDIS_URL/;

// When the value has the wrong type, the range checks add only noise: report the type alone.
const TYPE_CHECKS = ['isInt', 'isBoolean', 'isUrl', 'isString', 'isIn', 'matches'];

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    const constraints = e.constraints ?? {};
    const typeCheck = TYPE_CHECKS.find((c) => c in constraints);
    const messages = typeCheck ? [constraints[typeCheck]] : Object.values(constraints);
    const text = messages.map((m) => m.replace(new RegExp(`^${e.property} `), '')).join(', ');
    const shown = SECRET_VARS.test(e.property) ? '' : ` (got ${JSON.stringify(e.value)})`;
    return `${e.property} ${text}${shown}`;
  });
}

/** Reads and checks the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) raw[k] = v;
  const vars = plainToInstance(EnvironmentVariables, raw, { excludeExtraneousValues: false });
  const errors = validateSync(vars, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigError(describe(errors));

  const port = vars.PORT ?? 8000;
  return {
    http: {
      port,
      host: vars.HOST ?? '0.0.0.0',
      bodyLimitBytes: vars.HTTP_BODY_LIMIT_BYTES ?? 1024 * 1024,
      shutdownGraceMs: vars.SHUTDOWN_GRACE_MS ?? 10_000,
      workers:
        vars.API_WORKERS === 'auto'
          ? Math.min(availableParallelism(), MAX_API_WORKERS)
          : Number(vars.API_WORKERS ?? 1),
      acceptHandles: vars.HTTP_ACCEPT_HANDLES ?? 16,
    },
    redis: {
      url: vars.REDIS_URL,
      host: vars.REDIS_HOST ?? '127.0.0.1',
      port: vars.REDIS_PORT ?? 6379,
      password: vars.REDIS_PASSWORD || undefined,
      keyPrefix: vars.REDIS_KEY_PREFIX ?? 'auxilia:',
    },
    openai: {
      apiKey: vars.OPENAI_API_KEY || undefined,
      baseURL: vars.OPENAI_BASE_URL,
      model: vars.OPENAI_MODEL || undefined,
      maxRetries: vars.OPENAI_MAX_RETRIES ?? 2,
    },
    agents: {
      file: vars.AGENTS_FILE ?? 'config/agents.json',
      recursionLimit: vars.AGENT_RECURSION_LIMIT ?? 25,
      checkpointsKeep: vars.CHECKPOINTS_KEEP ?? 'latest',
    },
    oauth: {
      redirectBaseUrl: (vars.OAUTH_REDIRECT_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
      callbackTimeoutS: vars.OAUTH_CALLBACK_TIMEOUT_S ?? 300,
      successRedirectUrl: vars.OAUTH_SUCCESS_REDIRECT_URL,
    },
    encryptionKey: vars.ENCRYPTION_KEY ? decodeKey(vars.ENCRYPTION_KEY) : undefined,
    encryptionKeyFile: vars.ENCRYPTION_KEY_FILE ?? '.data/encryption.key',
    log: { level: vars.LOG_LEVEL ?? 'info', pretty: vars.LOG_PRETTY ?? false },
    mcp: {
      serversFile: vars.MCP_SERVERS_FILE ?? 'config/mcp-servers.json',
      timeoutMs: vars.MCP_TIMEOUT_MS ?? 10_000,
      allowPrivateNetworks: vars.MCP_ALLOW_PRIVATE_NETWORKS ?? false,
    },
    rateLimits: {
      callbackPerMin: vars.RATE_LIMIT_CALLBACK_PER_MIN ?? 30,
      streamPerMin: vars.RATE_LIMIT_STREAM_PER_MIN ?? 60,
    },
    runs: { livenessTimeoutMs: vars.RUN_LIVENESS_TIMEOUT_MS ?? 15_000 },
    apiKeys: (vars.API_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
    // A page for trying the API is on for development and off in production unless asked for.
    playground: { enabled: vars.PLAYGROUND ?? env.NODE_ENV !== 'production' },
  };
}

function decodeKey(value: string): Buffer {
  return value.length === 64 ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
}
