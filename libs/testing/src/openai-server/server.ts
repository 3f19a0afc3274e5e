import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseChatRequest } from './request';
import type {
  ChatCompletionRequest,
  ScriptedAnswer,
  ScriptedFault,
  ScriptedModelOptions,
  ScriptedTurn,
  TurnFactory,
} from './types';
import { writeEventStream, type InFlight } from './event-stream';
import { completionBody, errorBody, resolveAnswer, streamFrames, type WireContext } from './wire';

export const DEFAULT_SCRIPTED_MODEL_NAME = 'scripted-model';

export interface ScriptedModel {
  /** `http://127.0.0.1:<port>/v1`, for `OPENAI_BASE_URL` or `configuration.baseURL`. */
  readonly baseURL: string;
  readonly port: number;
  /** Chat-completions bodies in arrival order (empty when `recordRequests` is off). */
  readonly requests: readonly ChatCompletionRequest[];
  /** Turns enqueued and not consumed yet: lets a test assert that the agent made every expected call. */
  readonly pending: number;
  /** Appends turns; each chat request consumes the oldest one. */
  enqueue(...turns: Array<ScriptedTurn | TurnFactory>): void;
  /** Answers requests that find the queue empty; `undefined` makes them fail with a 400 again. */
  setDefault(turn: ScriptedTurn | TurnFactory | undefined): void;
  /** Forgets queued turns, the default and the request log, so one server can serve several tests. */
  reset(): void;
  /** Cuts any in-flight answer and stops listening. */
  close(): Promise<void>;
}

type TurnSource = ScriptedTurn | TurnFactory;

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

function isFault(turn: ScriptedAnswer | ScriptedFault): turn is ScriptedFault {
  return turn.error !== undefined;
}

class ScriptedModelServer implements ScriptedModel {
  readonly requests: ChatCompletionRequest[] = [];
  private readonly queue: TurnSource[] = [];
  private fallback: TurnSource | undefined;
  private readonly inFlight = new Set<ServerResponse>();
  private readonly modelsSeen = new Set<string>([DEFAULT_SCRIPTED_MODEL_NAME]);
  private requestCount = 0;
  private callCount = 0;
  baseURL = '';
  port = 0;

  constructor(
    private readonly server: Server,
    private readonly record: boolean,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  enqueue(...turns: TurnSource[]): void {
    this.queue.push(...turns);
  }

  setDefault(turn: TurnSource | undefined): void {
    this.fallback = turn;
  }

  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
    this.fallback = undefined;
  }

  close(): Promise<void> {
    for (const res of this.inFlight) res.destroy();
    return new Promise((resolve, reject) => {
      this.server.close((err) => (err ? reject(err) : resolve()));
      // Idle keep-alive sockets would otherwise hold close() open until they time out.
      this.server.closeAllConnections();
    });
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path === '/v1/chat/completions') {
      if (req.method !== 'POST')
        return this.sendError(res, 405, `Method ${req.method} not allowed on ${path}.`);
      const parts: Buffer[] = [];
      req.on('data', (part: Buffer) => parts.push(part));
      req.on('end', () => this.chat(res, parts.length === 1 ? parts[0] : Buffer.concat(parts)));
      req.on('error', () => res.destroy());
      return;
    }
    if (path === '/v1/models' && req.method === 'GET') {
      const data = [...this.modelsSeen].map((id) => ({
        id,
        object: 'model',
        created: 0,
        owned_by: 'scripted',
      }));
      res.writeHead(200, JSON_HEADERS).end(JSON.stringify({ object: 'list', data }));
      return;
    }
    this.sendError(res, 404, `Unknown request URL: ${req.method} ${path}.`, undefined, 'unknown_url');
  }

  private chat(res: ServerResponse, raw: Buffer): void {
    const parsed = parseChatRequest(raw);
    if (!parsed.ok) return this.sendError(res, 400, parsed.message, undefined, null, undefined, parsed.param);
    const request = parsed.request;
    const index = this.requestCount++;
    if (this.record) this.requests.push(request);
    const model = request.model ?? DEFAULT_SCRIPTED_MODEL_NAME;
    this.modelsSeen.add(model);

    const source = this.queue.length > 0 ? this.queue.shift() : this.fallback;
    // A script mistake must fail the test at once: 400 is the one status neither the OpenAI SDK nor
    // LangChain's retry layer retries.
    const noRetry = { 'x-should-retry': 'false' };
    if (source === undefined) {
      const message = `Scripted model: nothing scripted for request #${index}; enqueue() a turn or setDefault().`;
      return this.sendError(res, 400, message, undefined, 'scripted_queue_empty', noRetry);
    }
    let turn: ScriptedTurn;
    try {
      turn = typeof source === 'function' ? source(request, index) : source;
    } catch (e: unknown) {
      const message = `Scripted model: turn factory threw: ${e instanceof Error ? e.message : String(e)}`;
      return this.sendError(res, 400, message, undefined, 'scripted_factory_error', noRetry);
    }
    const scripted = typeof turn === 'string' ? { text: turn } : turn;

    const state: InFlight = {};
    this.inFlight.add(res);
    res.once('close', () => {
      clearTimeout(state.timer);
      this.inFlight.delete(res);
    });

    if (isFault(scripted)) {
      const { status, message, type, code, headers } = scripted.error;
      return this.later(state, scripted.delayMs, () =>
        this.sendError(res, status, message, type, code, headers),
      );
    }
    const ctx: WireContext = {
      id: `chatcmpl-scripted-${index}`,
      model,
      created: Math.floor(Date.now() / 1000),
      includeUsage: request.stream_options?.include_usage === true,
      requestBytes: raw.length,
    };
    const answer = resolveAnswer(scripted, ctx, () => `call_scripted_${++this.callCount}`);
    const every = Math.max(0, scripted.delayMs ?? 0);
    const first = Math.max(0, scripted.firstChunkDelayMs ?? every);
    if (request.stream === true) {
      const pacing = {
        first,
        every,
        pacedChunks: answer.pacedChunks,
        dropAfterChunks: scripted.dropAfterChunks,
      };
      return writeEventStream(res, state, streamFrames(answer, ctx), ctx.id, pacing);
    }
    this.later(state, first + every * (answer.pacedChunks - 1), () => {
      if (scripted.dropAfterChunks !== undefined) res.destroy();
      else res.writeHead(200, JSON_HEADERS).end(completionBody(answer, ctx));
    });
  }

  private later(state: InFlight, ms: number | undefined, fn: () => void): void {
    if (ms === undefined || ms <= 0) fn();
    else state.timer = setTimeout(fn, ms);
  }

  private sendError(
    res: ServerResponse,
    status: number,
    message: string,
    type?: string,
    code?: string | null,
    headers?: Readonly<Record<string, string>>,
    param: string | null = null,
  ): void {
    res.writeHead(status, { ...JSON_HEADERS, ...headers }).end(errorBody(status, message, type, code, param));
  }
}

/**
 * Starts an OpenAI-compatible chat-completions server on 127.0.0.1 that answers from a script.
 * See the module comment in `index.ts` for the wire behaviour.
 */
export async function startScriptedModel(options: ScriptedModelOptions = {}): Promise<ScriptedModel> {
  const server = createServer();
  const model = new ScriptedModelServer(server, options.recordRequests ?? true);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => model.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  model.port = (server.address() as AddressInfo).port;
  model.baseURL = `http://127.0.0.1:${model.port}/v1`;
  return model;
}
