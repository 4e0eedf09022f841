/** Servers of this machine's runtimes (dynalite, the AWS stand-ins) on a loopback port the OS picks. */
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A server listening on 127.0.0.1, with a stop that does not wait for idle keep-alive sockets. */
export interface LoopbackListener {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Binds `server` to a port the OS picks on 127.0.0.1. */
export async function listenOnLoopback(server: Server): Promise<LoopbackListener> {
  // Tracked by hand as well as closeAllConnections(): a socket that never sent a full request must go too.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
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
  return { url: `http://127.0.0.1:${port}`, port, stop };
}
