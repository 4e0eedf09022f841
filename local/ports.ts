import net from 'node:net';

/** The port the orchestrator answers Sentinel's commands on, as Sentinel's own default. */
export const SENTINEL_PORT = 26379;

/** True when nothing listens on 127.0.0.1:port and we may bind it. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/**
 * Hands out loopback ports from a private range, skipping any in use.
 * Each test worker gets its own range (see test/support), so parallel files never collide.
 */
export class PortAllocator {
  private next: number;

  constructor(
    private readonly first: number,
    private readonly last: number,
  ) {
    this.next = first;
  }

  async take(): Promise<number> {
    for (let tries = 0; tries <= this.last - this.first; tries++) {
      const port = this.next;
      this.next = port >= this.last ? this.first : port + 1;
      if (await isPortFree(port)) return port;
    }
    throw new Error(`no free loopback port between ${this.first} and ${this.last}`);
  }
}

/** A port the OS considers free right now (for the demo, which runs alone). */
export function osFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
