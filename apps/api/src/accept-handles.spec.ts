import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { childrenOf } from '@auxilia/testing';
import { AcceptHandles } from './accept-handles';

function listen(): Promise<Server> {
  const server = createServer((_req, res) => res.end('ok'));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function port(server: Server): number {
  return (server.address() as { port: number }).port;
}

function get(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: port(server), agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Opens `n` connections while the loop cannot accept them (they wait in the kernel's queue), then counts
 * how many the server takes in each turn of the event loop.
 */
async function acceptsPerTurn(server: Server, n: number): Promise<number[]> {
  const perTurn: number[] = [];
  let turn = 0;
  let accepted = 0;
  const onConnection = () => {
    accepted++;
    perTurn[turn] = (perTurn[turn] ?? 0) + 1;
  };
  server.on('connection', onConnection);
  const clients: Socket[] = Array.from({ length: n }, () => connect(port(server), '127.0.0.1'));
  // The connect calls go out on the next tick; the kernel completes the handshakes without this process.
  await new Promise((resolve) => process.nextTick(resolve));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  await new Promise<void>((resolve) => {
    const next = () => {
      if (accepted >= n || turn > 10 * n) return resolve();
      turn++;
      setImmediate(next);
    };
    setImmediate(next);
  });
  server.off('connection', onConnection);
  for (const client of clients) client.destroy();
  return perTurn.filter((x) => x !== undefined);
}

/** Pids of this process's children whose command line holds `text`. */
function childrenRunning(text: string): number[] {
  return childrenOf(process.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
    } catch {
      return false; // Gone meanwhile.
    }
  });
}

describe('AcceptHandles', () => {
  let server: Server;
  let handles: AcceptHandles;

  beforeEach(async () => {
    server = await listen();
    handles = new AcceptHandles();
  });

  afterEach(async () => {
    handles.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('takes a burst of new connections several per loop turn instead of one', async () => {
    const alone = await acceptsPerTurn(server, 40);
    await handles.open(server, 7);
    expect(handles.count).toBe(7);
    const withHandles = await acceptsPerTurn(server, 40);

    expect(alone.reduce((a, b) => a + b, 0)).toBe(40);
    expect(withHandles.reduce((a, b) => a + b, 0)).toBe(40);
    expect(Math.max(...withHandles)).toBeGreaterThanOrEqual(2 * Math.max(...alone));
    expect(withHandles.length).toBeLessThan(alone.length);
  });

  it('hands the connections it accepts to the HTTP server, which serves them like its own', async () => {
    await handles.open(server, 3);
    let seen = 0;
    server.on('connection', () => seen++);
    const answers = Array.from({ length: 30 }, () => get(server));
    // Let them all wait in the queue, so that every handle has some to take.
    await new Promise((resolve) => process.nextTick(resolve));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    expect(await Promise.all(answers)).toEqual(Array(30).fill('ok'));
    expect(seen).toBe(30);
    expect(handles.accepted).toBeGreaterThan(0);
    expect(handles.accepted).toBeLessThan(30);
  });

  it('leaves no helper process behind', async () => {
    await handles.open(server, 2);
    expect(childrenRunning("process.on('message'")).toEqual([]);
  });

  it('stops listening through its handles on close, while the server goes on with its own', async () => {
    await handles.open(server, 3);
    handles.close();
    expect(handles.count).toBe(0);
    await expect(get(server)).resolves.toBe('ok');

    const where = port(server);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    // Had a duplicate stayed open, the socket would still be listening and this would connect.
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(where, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(refused).toBe('ECONNREFUSED');
    server = await listen();
  });

  it('refuses a server that is not listening', async () => {
    const idle = createServer();
    await expect(handles.open(idle, 2)).rejects.toThrow('not listening');
    expect(handles.count).toBe(0);
  });
});
