/**
 * A bare RESP2/RESP3 client for protocol tests: sends one command, reads one whole reply and
 * keeps its type (simple, error, integer, bulk, null, array, map, push), which client libraries
 * hide. Used to hold the Sentinel port's replies against real redis-sentinel's.
 */
import net from 'node:net';

export type Node =
  | { readonly type: 'simple' | 'error' | 'bulk'; readonly text: string }
  | { readonly type: 'integer'; readonly value: number }
  | { readonly type: 'null' }
  | { readonly type: 'array' | 'push' | 'set'; readonly items: readonly Node[] }
  | { readonly type: 'map'; readonly entries: ReadonlyArray<readonly [Node, Node]> };

export class RespClient {
  private buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private ended = false;
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true;
        this.wake?.();
        resolve();
      }),
    );
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new RespClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends `args` and reads `replies` replies (SUBSCRIBE to two channels answers twice). */
  async call(args: readonly string[], replies = 1): Promise<Node[]> {
    this.socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    const out: Node[] = [];
    while (out.length < replies) out.push(await this.read());
    return out;
  }

  async one(...args: string[]): Promise<Node> {
    return (await this.call(args))[0]!;
  }

  close(): void {
    this.socket.destroy();
  }

  /** The next reply (or pushed message) the server sends. */
  async read(): Promise<Node> {
    for (;;) {
      const parsed = parse(this.buffer, 0);
      if (parsed) {
        this.buffer = this.buffer.subarray(parsed.next);
        return parsed.node;
      }
      if (this.ended) throw new Error('connection closed before a whole reply');
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

function parse(buffer: Buffer, offset: number): { node: Node; next: number } | null {
  const end = buffer.indexOf('\r\n', offset);
  if (end === -1) return null;
  const prefix = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString('utf8', offset + 1, end);
  const next = end + 2;
  switch (prefix) {
    case '+':
      return { node: { type: 'simple', text: line }, next };
    case '-':
      return { node: { type: 'error', text: line }, next };
    case ':':
      return { node: { type: 'integer', value: Number(line) }, next };
    case '_':
      return { node: { type: 'null' }, next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { node: { type: 'null' }, next };
      if (buffer.length < next + length + 2) return null;
      return { node: { type: 'bulk', text: buffer.toString('utf8', next, next + length) }, next: next + length + 2 };
    }
    case '*':
    case '>':
    case '~':
    case '%': {
      const count = Number(line);
      if (count < 0) return { node: { type: 'null' }, next };
      const items: Node[] = [];
      let at = next;
      for (let i = 0; i < (prefix === '%' ? count * 2 : count); i++) {
        const item = parse(buffer, at);
        if (!item) return null;
        items.push(item.node);
        at = item.next;
      }
      if (prefix === '%') {
        const entries: Array<[Node, Node]> = [];
        for (let i = 0; i < items.length; i += 2) entries.push([items[i]!, items[i + 1]!]);
        return { node: { type: 'map', entries }, next: at };
      }
      return { node: { type: prefix === '>' ? 'push' : prefix === '~' ? 'set' : 'array', items }, next: at };
    }
    default:
      throw new Error(`unexpected RESP type ${JSON.stringify(prefix)}`);
  }
}
