import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dropIdleConnections, httpJson } from './http';

let server: Server;
let url: string;
let connections = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("the benchmark's HTTP client", () => {
  it('reuses an idle connection, and opens a new one once idle connections are dropped', async () => {
    const before = connections;
    expect((await httpJson('GET', url, undefined, 5000)).status).toBe(200);
    expect((await httpJson('GET', url, undefined, 5000)).status).toBe(200);
    expect(connections - before).toBe(1);

    dropIdleConnections();
    expect((await httpJson('GET', url, undefined, 5000)).status).toBe(200);
    expect(connections - before).toBe(2);
  });
});
