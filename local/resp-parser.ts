/**
 * Reading commands off a client connection: RESP multibulk (`*2\r\n$4\r\nPING\r\n…`) as clients
 * send them, and inline lines as `nc` and telnet users type them, with Redis' limits so a
 * misbehaving client never makes the port buffer without bound.
 */

/** What {@link parseCommand} found at an offset. */
export type Parsed =
  | { readonly kind: 'command'; readonly args: readonly string[] /** offset after the command */; readonly next: number }
  | Incomplete
  | ProtocolError;
type Incomplete = { readonly kind: 'incomplete' };
type ProtocolError = { readonly kind: 'error'; readonly message: string };

/** Inline commands (what `nc` sends) longer than this are refused, as Redis does. */
const MAX_INLINE_BYTES = 64 * 1024;
/** One multibulk command, all of it: nothing we answer comes near; the cap bounds what we buffer. */
const MAX_COMMAND_BYTES = 1024 * 1024;
const MAX_ARGS = 1024;
/** `*<count>` and `$<length>` lines are short; a longer one is garbage, not a slow packet. */
const MAX_HEADER_BYTES = 32;

const INCOMPLETE: Incomplete = { kind: 'incomplete' };
const CR = 0x0d;
const LF = 0x0a;

/**
 * Parses one command starting at `offset`: a RESP multibulk (`*2\r\n$4\r\nPING\r\n…`) or an inline
 * line (`PING\r\n`). `incomplete` means wait for more bytes; the caller keeps them and retries.
 */
export function parseCommand(buffer: Buffer, offset: number): Parsed {
  if (offset >= buffer.length) return INCOMPLETE;
  return buffer[offset] === 0x2a /* '*' */ ? parseMultibulk(buffer, offset) : parseInline(buffer, offset);
}

function parseInline(buffer: Buffer, offset: number): Parsed {
  const end = buffer.indexOf(LF, offset);
  if ((end === -1 ? buffer.length : end) - offset > MAX_INLINE_BYTES) return protocolError('too big inline request');
  if (end === -1) return INCOMPLETE;
  // Split on blanks only: Redis also honours quotes here, which no command we answer needs.
  const args = buffer
    .toString('utf8', offset, end)
    .split(/[ \t\r]+/)
    .filter((arg) => arg !== '');
  return { kind: 'command', args, next: end + 1 };
}

function parseMultibulk(buffer: Buffer, offset: number): Parsed {
  const header = readLine(buffer, offset);
  if (header.kind !== 'line') return header;
  const count = integer(header.text.slice(1));
  if (count === null || count > MAX_ARGS) return protocolError('invalid multibulk length');
  // Redis ignores `*0` and `*-1` from a client; so do we.
  if (count <= 0) return { kind: 'command', args: [], next: header.next };

  const args: string[] = [];
  let position = header.next;
  for (let i = 0; i < count; i++) {
    const first = buffer[position];
    if (first !== undefined && first !== 0x24 /* '$' */) {
      return protocolError(`expected '$', got '${String.fromCharCode(first)}'`);
    }
    const line = readLine(buffer, position);
    if (line.kind !== 'line') return line;
    const length = integer(line.text.slice(1));
    if (length === null || length < 0) return protocolError('invalid bulk length');
    const end = line.next + length;
    // Checked before waiting for the bytes, so a huge length never makes us buffer them.
    if (end + 2 - offset > MAX_COMMAND_BYTES) return protocolError('command larger than 1 MB');
    if (buffer.length < end + 2) return INCOMPLETE;
    if (buffer[end] !== CR || buffer[end + 1] !== LF) return protocolError('bulk string not followed by CRLF');
    args.push(buffer.toString('utf8', line.next, end));
    position = end + 2;
  }
  return { kind: 'command', args, next: position };
}

/** A `*…` or `$…` line ending in CRLF. */
function readLine(buffer: Buffer, offset: number): { readonly kind: 'line'; readonly text: string; readonly next: number } | Incomplete | ProtocolError {
  const end = buffer.indexOf('\r\n', offset);
  if ((end === -1 ? buffer.length : end) - offset > MAX_HEADER_BYTES) {
    return protocolError(buffer[offset] === 0x2a ? 'invalid multibulk length' : 'invalid bulk length');
  }
  if (end === -1) return INCOMPLETE;
  return { kind: 'line', text: buffer.toString('latin1', offset, end), next: end + 2 };
}

function integer(text: string): number | null {
  return /^-?\d{1,12}$/.test(text) ? Number(text) : null;
}

function protocolError(message: string): ProtocolError {
  return { kind: 'error', message };
}
