import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export const API_BUNDLE = 'dist/apps/api/main.js';
export const CLI_BUNDLE = 'dist/apps/cli/main.js';

export function requireBuild(path: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` before these tests`);
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ApiProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Every line the process wrote to stdout and stderr so far. */
  lines: string[];
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<Exit>;
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

/** Runs the production bundle as a user would, on a free port, and waits until it listens. */
export async function spawnApi(env: Record<string, string>, nodeArgs: string[] = []): Promise<ApiProcess> {
  requireBuild(API_BUNDLE);
  const child = spawn(process.execPath, [...nodeArgs, API_BUNDLE], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      // Without a key the service would write a generated key file into the work tree.
      ENCRYPTION_KEY: 'dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdDE=',
      // Every fixture server listens on loopback.
      MCP_ALLOW_PRIVATE_NETWORKS: 'true',
      // Suites send many callbacks and streams from one address; rate-limit.e2e-spec sets its own limits.
      RATE_LIMIT_CALLBACK_PER_MIN: '10000',
      RATE_LIMIT_STREAM_PER_MIN: '10000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    for (const w of waiters) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  const waitForLine = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const hit = lines.find((l) => pattern.test(l));
        if (hit) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got:\n${lines.join('\n')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const listening = await Promise.race([
    waitForLine(/Listening on http:\/\/[\d.]+:\d+/),
    exited.then(({ code }) => {
      throw new Error(`the service exited (${code}) before listening:\n${lines.join('\n')}`);
    }),
  ]);
  const port = /:(\d+) \(docs/.exec(listening)?.[1];
  return {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    lines,
    waitForLine,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export function runProcess(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
