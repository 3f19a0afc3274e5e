import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { freePort } from '../free-port';

export type EverythingTransport = 'streamableHttp' | 'sse';

export interface EverythingServerOptions {
  transport: EverythingTransport;
  /** Defaults to a free loopback port; on a lost race for it another one is tried. */
  port?: number;
  startTimeoutMs?: number;
}

export interface EverythingServer {
  /** `http://127.0.0.1:<port>/mcp` for streamableHttp, `http://127.0.0.1:<port>/sse` for sse. */
  url: string;
  port: number;
  pid: number;
  /** SIGTERM, then SIGKILL after 3 s; resolves once the process is gone. */
  stop(): Promise<void>;
  /** SIGKILL right away, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
}

const ENDPOINT_PATH: Record<EverythingTransport, string> = { streamableHttp: '/mcp', sse: '/sse' };

/*
 * Loaded into the child with --import. The server calls app.listen(PORT) without a host, which
 * binds every interface; the patch pins it to 127.0.0.1. It also reports the bound port (or the
 * listen error) over IPC, which is a more reliable readiness signal than its log lines, and makes
 * the child exit when the IPC channel drops, so a SIGKILLed test process leaves no server behind.
 */
const PRELOAD = `
import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if ((typeof args[0] === 'number' || typeof args[0] === 'string') && typeof args[1] !== 'string') {
    args.splice(1, 0, '127.0.0.1');
  }
  this.once('listening', () => process.send?.({ type: 'listening', port: this.address().port }));
  this.once('error', (err) => process.send?.({ type: 'error', code: String(err?.code ?? err) }));
  return listen.apply(this, args);
};
process.on('disconnect', () => process.exit(0));
`;
const PRELOAD_URL = `data:text/javascript,${encodeURIComponent(PRELOAD)}`;

type ChildReport = { type: 'listening'; port: number } | { type: 'error'; code: string };

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function everythingEntry(): string {
  // Resolved from the working directory: jest runs the tests as ESM, where __dirname does not exist.
  const resolveFromCwd = createRequire(join(process.cwd(), 'package.json'));
  const pkg = resolveFromCwd.resolve('@modelcontextprotocol/server-everything/package.json');
  return join(dirname(pkg), 'dist', 'index.js');
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const exited = waitForExit(child);
  const escalate = setTimeout(() => child.kill('SIGKILL'), 3000);
  child.kill(signal);
  await exited;
  clearTimeout(escalate);
  live.delete(child);
}

function launch(
  entry: string,
  transport: EverythingTransport,
  port: number,
  timeoutMs: number,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', PRELOAD_URL, entry, transport], {
    env: { ...process.env, PORT: String(port) },
    // stdout logs every request and nobody reads it; an undrained pipe would eventually block the server.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      cleanup();
      void terminate(child, 'SIGKILL');
      reject(new Error(`server-everything (${transport}) on port ${port}: ${reason}\n${stderr}`));
    };
    const onMessage = (msg: ChildReport) => {
      if (msg.type === 'listening') {
        cleanup();
        resolve({ child, port: msg.port });
      } else {
        fail(`listen failed (${msg.code})`);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited before listening (code ${code}, signal ${signal})`);
    const timer = setTimeout(() => fail(`not listening after ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * Runs the reference server from @modelcontextprotocol/server-everything in a child process on
 * loopback, so tests talk to a real MCP implementation over a real socket and can crash it.
 */
export async function startEverythingServer(options: EverythingServerOptions): Promise<EverythingServer> {
  const { transport, startTimeoutMs = 15_000 } = options;
  installExitHook();
  const entry = everythingEntry();
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const wanted = options.port ?? (await freePort());
    let started: { child: ChildProcess; port: number };
    try {
      started = await launch(entry, transport, wanted, startTimeoutMs);
    } catch (err) {
      lastError = err;
      continue;
    }
    const { child, port } = started;
    // A fixture nobody stopped must not keep the jest worker alive; the exit hook and the IPC link still end it.
    child.unref();
    child.channel?.unref();
    (child.stderr as Socket | null)?.unref();
    return {
      url: `http://127.0.0.1:${port}${ENDPOINT_PATH[transport]}`,
      port,
      pid: child.pid ?? -1,
      stop: () => terminate(child, 'SIGTERM'),
      kill: () => terminate(child, 'SIGKILL'),
    };
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
