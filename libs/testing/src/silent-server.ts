import { createServer, type Socket } from 'node:net';

export interface SilentServer {
  url: string;
  close(): Promise<void>;
}

/** A TCP server that accepts connections and never answers: what a hung upstream looks like. */
export async function startSilentServer(path = '/mcp'): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}${path}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
