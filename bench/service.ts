import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpJson } from './http';
import { Children, ProcessMeter, terminate, untilQuiet } from './proc';

export const API_BUNDLE = 'dist/apps/api/main.js';
export const AGENT_ID = 'assistant';
export const AGENT_INSTRUCTIONS = 'You are a helpful assistant.';

export interface Service {
  name: string;
  baseUrl: string;
  child: ChildProcess;
  meter: ProcessMeter;
  /** The last lines the process wrote (warnings and errors only, at LOG_LEVEL=warn). */
  output(): string;
  /** SIGTERM and wait: the CPU profile, when asked for, is written on this exit. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  name: string;
  /** The bundle to run: a snapshot of dist/apps/api/main.js (see snapshotBundle). */
  bundle: string;
  port: number;
  redisUrl: string;
  modelURL: string;
  /** Shared by the instances: a flow started on one may end on the other. */
  encryptionKey: string;
  /** Where the browser is sent back to (instance A's address for both instances). */
  redirectBaseUrl: string;
  workDir: string;
  children: Children;
  /** A folder to write a V8 CPU profile into (`--cpu-prof`). */
  profileDir?: string;
  /** API_WORKERS: with more than one, the meter sums the CPU and RSS of the primary and its workers. */
  workers?: number;
  /** REDIS_KEY_PREFIX (default `bench:`): instances that must not share threads and runs get their own. */
  keyPrefix?: string;
  /** Node and V8 flags the process starts with, before the bundle (`npm run bench:compare`'s `--*-node-args`). */
  nodeArgs?: string[];
}

/**
 * The seeds the benchmark runs with: the same agent as the peer's graph (no tools) and no MCP server
 * seeded, so that nothing reaches outside loopback.
 */
export function writeSeeds(workDir: string): { agentsFile: string; serversFile: string } {
  mkdirSync(workDir, { recursive: true });
  const agentsFile = join(workDir, 'agents.json');
  const serversFile = join(workDir, 'mcp-servers.json');
  const agent = { id: AGENT_ID, name: 'Assistant', instructions: AGENT_INSTRUCTIONS, mcpServerIds: [] };
  writeFileSync(agentsFile, JSON.stringify([agent], null, 2));
  writeFileSync(serversFile, '[]\n');
  return { agentsFile, serversFile };
}

/**
 * Copies the production bundle (and its source map, for the profile) next to the benchmark's output,
 * so that a rebuild during the run cannot remove or change what the instances run. Packages still
 * resolve from the project's node_modules, so `dir` must be inside the project.
 */
export function snapshotBundle(source = API_BUNDLE, dir = join('dist', 'bench', 'service')): string {
  if (!existsSync(source)) throw new Error(`${source} is missing: run \`npm run build\` first`);
  mkdirSync(dir, { recursive: true });
  const target = join(dir, 'main.js');
  copyFileSync(source, target);
  if (existsSync(`${source}.map`)) copyFileSync(`${source}.map`, `${target}.map`);
  return target;
}

/** Until the primary and its workers are all there and their CPU use has gone quiet (start-up done). */
async function settled(meter: ProcessMeter, processes: number, deadline: number): Promise<void> {
  while (performance.now() < deadline) {
    // One window of 500 ms each time round: quiet is under 20 ms of CPU in it.
    const { load } = await untilQuiet([meter], { windowMs: 500, maxLoad: 0.04, timeoutMs: 0 });
    if (meter.pids().length >= processes && load < 0.04) return;
  }
}

/** Runs the production bundle as a child process and waits for GET /health. */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { agentsFile, serversFile } = writeSeeds(options.workDir);
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const execArgv = [...(options.nodeArgs ?? []), ...profile];
  const child = spawn(process.execPath, [...execArgv, options.bundle], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: String(options.port),
      HOST: '127.0.0.1',
      REDIS_URL: options.redisUrl,
      REDIS_KEY_PREFIX: options.keyPrefix ?? 'bench:',
      OPENAI_BASE_URL: options.modelURL,
      OPENAI_API_KEY: 'bench',
      OPENAI_MODEL: 'scripted-model',
      OPENAI_MAX_RETRIES: '0',
      AGENTS_FILE: agentsFile,
      MCP_SERVERS_FILE: serversFile,
      ENCRYPTION_KEY: options.encryptionKey,
      OAUTH_REDIRECT_BASE_URL: options.redirectBaseUrl,
      LOG_LEVEL: 'warn',
      SHUTDOWN_GRACE_MS: '2000',
      // The load comes from one address, and the MCP servers and the model listen on loopback.
      RATE_LIMIT_STREAM_PER_MIN: '100000',
      RATE_LIMIT_CALLBACK_PER_MIN: '100000',
      MCP_ALLOW_PRIVATE_NETWORKS: 'true',
      API_WORKERS: String(options.workers ?? 1),
    },
  });
  let output = '';
  const keep = (c: Buffer) => (output = (output + c.toString()).slice(-8000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = () => terminate(child, 10_000);
  options.children.add(options.name, stop);
  const baseUrl = `http://127.0.0.1:${options.port}`;
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${options.name} exited (${child.exitCode}) before answering:\n${output.trim()}`);
    }
    const health = await httpJson('GET', `${baseUrl}/health`, undefined, 2000).catch(() => undefined);
    if (health?.status === 200) {
      const workers = options.workers ?? 1;
      const meter =
        workers > 1 ? new ProcessMeter(child.pid ?? -1, true, 'sum') : new ProcessMeter(child.pid ?? -1);
      // Every worker must have started, not only the one that answered (their lines are at info level).
      if (workers > 1) await settled(meter, workers + 1, deadline);
      return { name: options.name, baseUrl, child, meter, output: () => output, stop };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${options.name} did not answer GET /health within 30 s:\n${output.trim()}`);
}
