/** Servers of this machine's runtimes (dynalite, the AWS stand-ins) on a port the OS picks, on loopback unless told otherwise. */
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A listening server, with a stop that does not wait for idle keep-alive sockets. */
export interface LoopbackListener {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Binds `server` to a port the OS picks on `host`: 127.0.0.1, or an address of this machine's
 * that other network namespaces reach (a partition trial's, bench/partition.ts).
 */
export async function listenOnLoopback(server: Server, host = '127.0.0.1'): Promise<LoopbackListener> {
  // Tracked by hand as well as closeAllConnections(): a socket that never sent a full request must go too.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    });
    return stopped;
  };
  return { url: `http://${host}:${port}`, port, stop };
}
