import { spawn, type ChildProcess } from 'node:child_process';
import { Server } from 'node:net';
import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';

/**
 * Runs in the helper process: every handle it is sent goes straight back, and it leaves when the
 * channel closes. It never listens on the handles, so it takes no connection of its own.
 */
const ECHO = `process.on('message', (m, h) => process.send(m, h));
process.on('disconnect', () => process.exit(0));`;

/** How long the helper may take to start and send the handles back. */
const HELPER_TIMEOUT_MS = 10_000;

/**
 * More handles on the HTTP server's listening socket, so that a burst of new connections is accepted
 * several per turn of the event loop instead of one.
 *
 * Node 20's event loop takes one new connection per listening handle and loop turn, then waits for the
 * next poll to learn of the next one. Under load a turn lasts from a few to tens of milliseconds, so 200
 * users connecting together while answers stream wait in the kernel's accept queue for up to 200 turns:
 * seconds before their first request is even read. Each extra handle is one more connection per turn.
 *
 * Node 20 cannot duplicate a descriptor in process (listening sockets shared with `reusePort` came in
 * 22.12), so the duplicates come from a short-lived helper: the server's handle goes to it over an IPC
 * channel and comes back each time as a new descriptor of the same socket. Connections accepted through
 * them are handed to the HTTP server as its own (its documented `connection` event), so timeouts,
 * keep-alive and the shutdown's forced close apply to them alike.
 */
@Injectable()
export class AcceptHandles implements BeforeApplicationShutdown {
  private readonly logger = new Logger('AcceptHandles');
  private readonly servers: Server[] = [];
  private taken = 0;
  private closed = false;

  /** Extra handles open now. */
  get count(): number {
    return this.servers.length;
  }

  /** Connections taken through the extra handles since they were opened. */
  get accepted(): number {
    return this.taken;
  }

  /**
   * Adds `extra` handles to `server`'s listening socket. `server` must be listening in this process
   * (not a cluster worker, whose connections come from its primary).
   */
  async open(server: Server, extra: number): Promise<void> {
    if (extra < 1) return;
    const handle = (server as unknown as { _handle?: unknown })._handle;
    if (!server.listening || !handle) throw new Error('the server is not listening in this process');
    const received = await duplicate(handle, extra);
    // Stopped while the helper was at work: the duplicates go at once.
    if (this.closed) return received.forEach(closeHandle);
    for (const dup of received) {
      const accepting = new Server();
      accepting.on('connection', (socket) => {
        this.taken++;
        server.emit('connection', socket);
      });
      // An accept that fails (e.g. out of descriptors) must not end the process; the next turn retries.
      accepting.on('error', (err) => this.logger.warn(`accepting a connection failed: ${err.message}`));
      accepting.listen(dup);
      this.servers.push(accepting);
    }
  }

  /** Stops accepting through the extra handles; the server's own handle and open connections stay. */
  close(): void {
    this.closed = true;
    for (const accepting of this.servers.splice(0)) accepting.close();
  }

  beforeApplicationShutdown(): void {
    this.close();
  }
}

/** `count` new descriptors of `handle`'s socket, through a helper process that sends each back. */
function duplicate(handle: unknown, count: number): Promise<unknown[]> {
  // An empty environment: the service's secrets and preloads (NODE_OPTIONS) have no business there.
  const helper: ChildProcess = spawn(process.execPath, ['-e', ECHO], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: {},
  });
  let stderr = '';
  helper.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
  const received: unknown[] = [];
  return new Promise<unknown[]>((resolve, reject) => {
    let settled = false;
    const settle = (failure?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (failure === undefined) return resolve(received);
      helper.kill('SIGKILL');
      for (const dup of received.splice(0)) closeHandle(dup);
      reject(new Error(`${failure}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    };
    const timer = setTimeout(
      () => settle(`the helper sent ${received.length} of ${count} handles in ${HELPER_TIMEOUT_MS} ms`),
      HELPER_TIMEOUT_MS,
    );
    helper.once('error', (err) => settle(`the helper did not start (${err.message})`));
    // The helper's own descriptors keep the socket listening: done once it has exited, not before.
    helper.once('exit', (code, signal) =>
      settle(
        received.length === count
          ? undefined
          : `the helper exited (${signal ?? code}) after ${received.length} of ${count} handles`,
      ),
    );
    helper.on('message', (_message, dup) => {
      if (!dup) return;
      if (settled) return closeHandle(dup);
      received.push(dup);
      if (received.length === count) helper.disconnect();
    });
    for (let i = 0; i < count; i++) helper.send('handle', handle as never);
  });
}

function closeHandle(handle: unknown): void {
  (handle as { close?: () => void }).close?.();
}
