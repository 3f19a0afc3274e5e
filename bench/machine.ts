import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { CLOCK_TICKS } from './proc';

const PACKAGES = [
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/microservices',
  '@langchain/langgraph',
  '@langchain/core',
  '@langchain/openai',
  '@ai-sdk/langchain',
  'ai',
  '@modelcontextprotocol/sdk',
  '@modelcontextprotocol/server-everything',
  'ioredis',
  'express',
];

export function machineInfo(): Record<string, unknown> {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    platform: `${process.platform} ${release()}`,
    clockTicksPerSecond: CLOCK_TICKS,
    // Other work on the machine skews every figure: the load when the run started says how much.
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function installedVersion(name: string): string | null {
  const file = `node_modules/${name}/package.json`;
  if (!existsSync(file)) return null;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
}

export function versionsInfo(): Record<string, unknown> {
  const project = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string };
  const packages: Record<string, string | null> = {};
  for (const name of PACKAGES) packages[name] = installedVersion(name);
  let redis: string | null;
  try {
    redis = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? null;
  } catch {
    redis = null;
  }
  return { project: `${project.name}@${project.version}`, packages, redisServer: redis };
}
