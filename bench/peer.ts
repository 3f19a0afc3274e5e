import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpJson } from './http';
import { Children, detachedChildren, ProcessMeter } from './proc';

/** The LangGraph CLI release measured; the graph's packages follow the project's own versions. */
export const PEER_CLI_VERSION = '1.5.1';
export const PEER_GRAPH_ID = 'agent';

export interface Peer {
  baseUrl: string;
  meter: ProcessMeter;
  dir: string;
  versions: Record<string, string>;
}

function projectVersion(name: string): string {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const version = pkg.dependencies?.[name];
  if (!version) throw new Error(`${name} is not a dependency of the project`);
  return version;
}

/** The same agent as ours (for an agent without tools both graphs are one model call): createReactAgent with ChatOpenAI at the scripted model, the same prompt, no tools. */
function graphSource(instructions: string): string {
  return `import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { ChatOpenAI } from '@langchain/openai';

const llm = new ChatOpenAI({
  model: 'scripted-model',
  apiKey: 'bench',
  streaming: true,
  streamUsage: true,
  maxRetries: 0,
  configuration: { baseURL: process.env.BENCH_MODEL_URL },
});
export const graph = createReactAgent({ llm, tools: [], prompt: ${JSON.stringify(instructions)} });
`;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code ?? signal}): ${stderr.trim()}`));
    });
  });
}

/**
 * Installs the peer into a folder under the system temp dir (never into the project), reused by later
 * runs while the versions stay the same.
 */
async function install(
  log: (line: string) => void,
): Promise<{ dir: string; versions: Record<string, string> }> {
  const wanted: Record<string, string> = {
    '@langchain/langgraph-cli': PEER_CLI_VERSION,
    '@langchain/langgraph': projectVersion('@langchain/langgraph'),
    '@langchain/openai': projectVersion('@langchain/openai'),
    '@langchain/core': projectVersion('@langchain/core'),
  };
  const hash = createHash('sha256').update(JSON.stringify(wanted)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `auxilia-bench-peer-${hash}`);
  if (!existsSync(join(dir, 'node_modules', '.bin', 'langgraphjs'))) {
    log(`installing the peer into ${dir} (npm install, once)`);
    mkdirSync(dir, { recursive: true });
    const pkg = { name: 'auxilia-bench-peer', private: true, type: 'module', dependencies: wanted };
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir, 300_000);
  }
  const versions: Record<string, string> = {};
  for (const name of [...Object.keys(wanted), '@langchain/langgraph-api']) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file))
      versions[name] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return { dir, versions };
}

export async function startPeer(options: {
  port: number;
  modelURL: string;
  instructions: string;
  children: Children;
  log: (line: string) => void;
}): Promise<Peer> {
  const { dir, versions } = await install(options.log);
  writeFileSync(join(dir, 'graph.mjs'), graphSource(options.instructions));
  writeFileSync(
    join(dir, 'langgraph.json'),
    JSON.stringify({ node_version: '20', graphs: { [PEER_GRAPH_ID]: './graph.mjs:graph' } }, null, 2),
  );
  // The dev server keeps its in-memory state in this folder between starts: every run starts empty.
  rmSync(join(dir, '.langgraph_api'), { recursive: true, force: true });
  const args = ['@langchain/langgraph-cli', 'dev', '--port', String(options.port), '--host', '127.0.0.1'];
  const child = spawn('npx', [...args, '--no-browser', '--no-reload'], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      LANGGRAPH_CLI_NO_ANALYTICS: '1',
      LANGSMITH_TRACING: 'false',
      // Same verbosity as ours: request logging is not what is measured.
      LOG_LEVEL: 'warn',
      BENCH_MODEL_URL: options.modelURL,
      OPENAI_API_KEY: 'bench',
    },
  });
  detachedChildren.add(child);
  options.children.addProcess('peer (langgraph dev)', child);
  let output = '';
  let failed: Error | undefined;
  // Without a listener a failed spawn (no npx on the PATH) would end the whole benchmark.
  child.once('error', (err) => (failed = err));
  const keep = (c: Buffer) => (output = (output + c.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const baseUrl = `http://127.0.0.1:${options.port}`;
  const deadline = performance.now() + 90_000;
  while (performance.now() < deadline) {
    if (failed) throw new Error(`npx could not be started: ${failed.message}`);
    if (child.exitCode !== null)
      throw new Error(`langgraph dev exited (${child.exitCode}): ${output.trim()}`);
    const ok = await httpJson('GET', `${baseUrl}/ok`, undefined, 2000).catch(() => undefined);
    if (ok?.status === 200) {
      // The server itself, not npx in front of it: the whole tree is metered.
      return { baseUrl, meter: new ProcessMeter(child.pid ?? -1, true), dir, versions };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`langgraph dev not answering /ok after 90 s: ${output.trim().slice(-1000)}`);
}
