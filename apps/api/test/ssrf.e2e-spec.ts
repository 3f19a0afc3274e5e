import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Global, Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OUTBOUND_ALLOW, type OutboundAllow } from '@auxilia/core';
import { reliability } from './reliability-support';
import { startApp, type RunningApp } from './support/app';

const PROBLEM = 'application/problem+json';

function listen(handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => void) {
  const server = createServer(handler);
  return new Promise<{ server: Server; port: number }>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })),
  );
}

// Stands in for the public internet: only the "public" fixture's port passes the policy.
let publicPort = 0;
const allow: OutboundAllow = ({ address, port }) => address === '127.0.0.1' && port === String(publicPort);

@Global()
@Module({ providers: [{ provide: OUTBOUND_ALLOW, useValue: allow }], exports: [OUTBOUND_ALLOW] })
class AllowPublicFixture {}

describe('MCP server URLs: private networks refused (MCP_ALLOW_PRIVATE_NETWORKS=false)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssrf-e2e-'));
  let running: RunningApp;
  let target: Server;
  let publicServer: Server;
  let targetPort = 0;
  const targetHits: string[] = [];

  beforeAll(async () => {
    ({ server: target, port: targetPort } = await listen((req, res) => {
      targetHits.push(`${req.method} ${req.url}`);
      res.writeHead(500).end();
    }));
    ({ server: publicServer, port: publicPort } = await listen((req, res) => {
      const base = `http://127.0.0.1:${publicPort}`;
      if (req.url === '/redirect/mcp') {
        return res.writeHead(307, { location: `http://127.0.0.1:${targetPort}/mcp` }).end();
      }
      if (req.url?.startsWith('/.well-known/oauth-protected-resource')) {
        // Discovery that points the client at an internal authorization server.
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify({
            resource: `${base}/oauth/mcp`,
            authorization_servers: [`http://127.0.0.1:${targetPort}`],
          }),
        );
      }
      if (req.url === '/oauth/mcp') {
        return res
          .writeHead(401, {
            'www-authenticate': `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/oauth/mcp"`,
          })
          .end();
      }
      res.writeHead(404).end();
    }));
    const seed = join(dir, 'mcp-servers.json');
    // Seeded entries skip registration's check: the check before connecting must still hold.
    writeFileSync(
      seed,
      JSON.stringify([{ id: 'seeded-local', name: 'Seeded', url: `http://localhost:${targetPort}/mcp` }]),
    );
    running = await startApp({
      env: { MCP_ALLOW_PRIVATE_NETWORKS: 'false', MCP_SERVERS_FILE: seed, MCP_TIMEOUT_MS: '3000' },
      imports: [AllowPublicFixture],
    });
  });

  afterAll(async () => {
    reliability({
      test: 'ssrf',
      refusedAtRegistration: refused.length + 1,
      requestsReachingPrivateTarget: targetHits.length,
    });
    await running?.close();
    await new Promise((resolve) => target?.close(resolve));
    await new Promise((resolve) => publicServer?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const refused: [string, RegExp][] = [
    ['http://127.0.0.1:1/mcp', /loopback/],
    ['http://[::1]:1/mcp', /loopback/],
    ['http://[::ffff:127.0.0.1]/mcp', /loopback/],
    ['http://10.1.2.3/mcp', /private/],
    ['http://192.168.0.10/mcp', /private/],
    ['http://100.64.1.1/mcp', /CGNAT/],
    ['http://[fd12::1]/mcp', /private/],
    ['http://169.254.169.254/latest/meta-data', /metadata/],
    ['http://[fd00:ec2::254]/', /metadata/],
    ['http://metadata.google.internal/computeMetadata/v1', /metadata/],
    ['http://0.0.0.0:8080/mcp', /unspecified/],
    ['http://localhost:1/mcp', /resolves to a loopback address/],
  ];

  it.each(refused)('POST /mcp-servers refuses %s with a 400 naming url', async (url, reason) => {
    const { data, error, response } = await running.api.POST('/mcp-servers', {
      body: { id: 'bad', name: 'Bad', url },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain(PROBLEM);
    const body = error as unknown as { detail: string; errors: { field: string; messages: string[] }[] };
    expect(body.errors[0].field).toBe('url');
    expect(body.errors[0].messages[0]).toMatch(reason);
  });

  it('refuses a non-http scheme', async () => {
    const { response } = await running.api.POST('/mcp-servers', {
      body: { id: 'bad', name: 'Bad', url: 'file:///etc/passwd' },
    });
    expect(response.status).toBe(400);
  });

  it('PATCH /mcp-servers/{id} refuses a private URL and keeps the old one', async () => {
    const url = `http://127.0.0.1:${publicPort}/redirect/mcp`;
    const created = await running.api.POST('/mcp-servers', { body: { id: 'pub', name: 'Pub', url } });
    expect(created.response.status).toBe(201);
    const { response, error } = await running.api.PATCH('/mcp-servers/{id}', {
      params: { path: { id: 'pub' } },
      body: { url: 'http://169.254.169.254/' },
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(error)).toMatch(/metadata/);
    const { data } = await running.api.GET('/mcp-servers/{id}', { params: { path: { id: 'pub' } } });
    expect(data?.url).toBe(url);
  });

  it('never reaches a loopback address through a redirect of the MCP endpoint', async () => {
    const { response } = await running.api.GET('/mcp-servers/{id}/list-tools', {
      params: { path: { id: 'pub' } },
    });
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toContain(PROBLEM);
    expect(targetHits).toEqual([]);
  });

  it('never reaches a loopback authorization server named by OAuth discovery', async () => {
    const url = `http://127.0.0.1:${publicPort}/oauth/mcp`;
    const created = await running.api.POST('/mcp-servers', {
      body: { id: 'oauth-pub', name: 'OAuth', url, requiresOAuth: true, transport: 'streamable-http' },
    });
    expect(created.response.status).toBe(201);
    const { response, error } = await running.api.GET('/mcp-servers/{id}/list-tools', {
      params: { path: { id: 'oauth-pub' } },
    });
    expect(response.status).toBe(502);
    expect(JSON.stringify(error)).toMatch(/loopback/);
    expect(targetHits).toEqual([]);
  });

  it('checks the resolved address again before connecting (a seeded name resolving to loopback)', async () => {
    const { response, error } = await running.api.GET('/mcp-servers/{id}/list-tools', {
      params: { path: { id: 'seeded-local' } },
    });
    expect(response.status).toBe(502);
    expect(error).toMatchObject({ error: 'mcp_server_address_refused', serverId: 'seeded-local' });
    expect(JSON.stringify(error)).toMatch(/loopback/);
    expect(targetHits).toEqual([]);
  });
});
