import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startScriptedModel, type ScriptedModel } from '../libs/testing/src/openai-server';

/**
 * The scripted model runs in a process of its own, so the floor's server cost can be read from /proc
 * like the service's, and the load generator does not share an event loop with the model.
 */

export interface AnswerShape {
  tokens: number;
  delayMs: number;
  /** Pause before the first chunk; defaults to `delayMs` as in the fixture. */
  firstChunkDelayMs?: number;
}

type Command = { type: 'answer'; shape: AnswerShape; seq: number };
type Report = { type: 'listening'; port: number } | { type: 'ack'; seq: number };

export function answerText(tokens: number): string[] {
  return Array.from({ length: tokens }, (_, i) => ` w${i}`);
}

/**
 * How many of the answer's tokens a piece of its text holds. Clients count tokens by the text they read,
 * not by the chunks that carry it: the service joins the deltas of one part that are written together.
 */
export function tokensIn(text: string): number {
  return text.match(/ w\d+/g)?.length ?? 0;
}

export interface ModelProcess {
  child: ChildProcess;
  baseURL: string;
  pid: number;
  /** Makes every later request answer with this shape. */
  setAnswer(shape: AnswerShape): Promise<void>;
}

export async function startModelProcess(): Promise<ModelProcess> {
  const child = fork(join(__dirname, 'model-process.js'), ['--serve'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  let seq = 0;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('scripted model: not listening after 10 s')), 10_000);
    child.once('exit', (code) => reject(new Error(`scripted model exited (${code}) before listening`)));
    child.on('message', (msg: Report) => {
      if (msg.type !== 'listening') return;
      clearTimeout(timer);
      resolve(msg.port);
    });
  });
  return {
    child,
    pid: child.pid ?? -1,
    baseURL: `http://127.0.0.1:${port}/v1`,
    setAnswer: (shape) =>
      new Promise((resolve, reject) => {
        const mine = ++seq;
        const timer = setTimeout(() => reject(new Error('scripted model: no ack')), 5000);
        const onMessage = (msg: Report) => {
          if (msg.type !== 'ack' || msg.seq !== mine) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve();
        };
        child.on('message', onMessage);
        child.send({ type: 'answer', shape, seq: mine } satisfies Command);
      }),
  };
}

async function serve(): Promise<void> {
  const model: ScriptedModel = await startScriptedModel({ recordRequests: false });
  process.on('message', (msg: Command) => {
    if (msg.type !== 'answer') return;
    const { tokens, delayMs, firstChunkDelayMs } = msg.shape;
    model.setDefault({ text: answerText(tokens), delayMs, firstChunkDelayMs });
    process.send?.({ type: 'ack', seq: msg.seq } satisfies Report);
  });
  // The benchmark owns this process: when it goes away, so does the model.
  process.on('disconnect', () => {
    void model.close().finally(() => process.exit(0));
  });
  process.send?.({ type: 'listening', port: model.port } satisfies Report);
}

// Run as a script (CommonJS, the benchmark's build); imported, as by the specs, it only exports.
if (typeof require !== 'undefined' && require.main === module && process.argv.includes('--serve')) {
  serve().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
