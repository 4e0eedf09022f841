/**
 * The wire half of every simulated AWS service: a loopback HTTP server speaking the AWS JSON
 * protocols (awsJson1_0, awsJson1_1), so the real SDK clients of the Lambda functions can be
 * pointed at it with `AWS_ENDPOINT_URL_<SERVICE>` and run unchanged. Signatures are not
 * verified; the access key id in the SigV4 `Authorization` header names the caller, the way
 * each Lambda role has its own credentials. Also the catch-all for `AWS_ENDPOINT_URL`, which
 * refuses (and records) any call to a service nobody simulates.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback } from '../../local/loopback.ts';
import { messageOf } from '../../lambdas/core/errors.ts';

/** An AWS error answer: the SDK raises an error whose `name` is `code`. */
export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export interface AwsCall {
  readonly operation: string;
  /** The access key id the request was signed with; null when unsigned. */
  readonly caller: string | null;
}

export interface AwsCallRecord extends AwsCall {
  /** Epoch ms at arrival. */
  readonly time: number;
}

export type AwsOperation = (body: Record<string, unknown>, call: AwsCall) => unknown | Promise<unknown>;

export interface AwsJsonServerOptions {
  /** For messages only, e.g. 'eventbridge'. */
  readonly name: string;
  /** The part of `X-Amz-Target` before the dot, e.g. 'AWSEvents'. */
  readonly targetPrefix: string;
  readonly operations: Readonly<Record<string, AwsOperation>>;
  /** The address to listen on. @default '127.0.0.1' */
  readonly host?: string;
}

export interface AwsJsonServer {
  readonly name: string;
  /** `http://<host>:<port>` */
  readonly url: string;
  /** Every request, known operation or not, in arrival order. */
  readonly calls: readonly AwsCallRecord[];
  /** Called synchronously at each arrival; returns the unsubscribe function. */
  onCall(listener: (call: AwsCallRecord) => void): () => void;
  /** Closes the server and every open socket; the port is free afterwards. Idempotent. */
  stop(): Promise<void>;
}

/** `Credential=<AKID>/<date>/<region>/<service>/aws4_request` → AKID. */
export function callerOf(authorization: string | undefined): string | null {
  const match = /Credential=([^/,\s]+)\//.exec(authorization ?? '');
  return match?.[1] ?? null;
}

/** The whole request body as text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The protocol version the client spoke, echoed back (1.0 for DynamoDB and SFN, 1.1 for the others). */
function jsonContentType(req: IncomingMessage): string {
  const sent = header(req, 'content-type') ?? '';
  return /application\/x-amz-json-1\.[01]/.exec(sent)?.[0] ?? 'application/x-amz-json-1.0';
}

/** A JSON-protocol answer; every AWS answer carries a request id, which the SDK reads into $metadata. */
export function sendJson(res: ServerResponse, status: number, contentType: string, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body ?? {}) ?? '{}';
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...extra,
  });
  res.end(text);
}

/** The error shape both JSON protocols share: the SDK takes the code from the header or `__type`. */
function sendError(res: ServerResponse, contentType: string, error: AwsServiceError): void {
  sendJson(res, error.status, contentType, { __type: error.code, message: error.message }, { 'x-amzn-ErrorType': error.code });
}

/** A JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Calls kept in order, and listeners told of each: what every stand-in offers its tests. */
export function callLog<T>(): { calls: T[]; record(call: T): void; onCall(listener: (call: T) => void): () => void } {
  const calls: T[] = [];
  const listeners = new Set<(call: T) => void>();
  return {
    calls,
    record(call) {
      calls.push(call);
      // A throwing listener is a test bug: it surfaces as an InternalFailure the test will see.
      for (const listener of listeners) listener(call);
    },
    onCall(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

export async function startAwsJsonServer(options: AwsJsonServerOptions): Promise<AwsJsonServer> {
  const log = callLog<AwsCallRecord>();
  const prefix = `${options.targetPrefix}.`;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const contentType = jsonContentType(req);
    const target = header(req, 'x-amz-target') ?? '';
    const known = target.startsWith(prefix);
    const operation = known ? target.slice(prefix.length) : target || `${req.method ?? '?'} ${req.url ?? ''}`;
    const caller = callerOf(header(req, 'authorization'));
    try {
      const text = await readBody(req);
      log.record({ operation, caller, time: Date.now() });
      // Own properties only: 'constructor' or 'toString' are not operations.
      const op = known && req.method === 'POST' && Object.hasOwn(options.operations, operation) ? options.operations[operation] : undefined;
      if (!op) throw new AwsServiceError('UnknownOperationException', `${options.name} does not simulate ${target || `${req.method ?? '?'} ${req.url ?? ''}`}`);
      let body: unknown;
      try {
        body = text.trim() === '' ? {} : JSON.parse(text);
      } catch {
        throw new AwsServiceError('SerializationException', 'Request body is not valid JSON.');
      }
      if (!isRecord(body)) throw new AwsServiceError('SerializationException', 'Request body must be a JSON object.');
      const out = await op(body, { operation, caller });
      sendJson(res, 200, contentType, out ?? {});
    } catch (error) {
      // Anything but an AwsServiceError is a bug in the stand-in: answered as AWS answers its own.
      const aws =
        error instanceof AwsServiceError ? error : new AwsServiceError('InternalFailure', `${options.name} stand-in failed: ${messageOf(error)}`, 500);
      if (!res.headersSent && !res.destroyed) sendError(res, contentType, aws);
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  const listener = await listenOnLoopback(server, options.host);
  return { name: options.name, url: listener.url, calls: log.calls, onCall: log.onCall, stop: listener.stop };
}

export interface CatchAllRecord {
  /** `X-Amz-Target` when the client sent one (JSON protocols), else null. */
  readonly target: string | null;
  readonly method: string;
  readonly path: string;
  readonly caller: string | null;
  readonly time: number;
}

export interface CatchAllServer {
  readonly url: string;
  readonly calls: readonly CatchAllRecord[];
  onCall(listener: (call: CatchAllRecord) => void): () => void;
  stop(): Promise<void>;
}

/**
 * The endpoint for the global `AWS_ENDPOINT_URL`: any SDK call not routed to a stand-in lands
 * here and is refused, so a simulated function can never reach real AWS by accident.
 */
export async function startCatchAllServer(host?: string): Promise<CatchAllServer> {
  const log = callLog<CatchAllRecord>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = header(req, 'x-amz-target') ?? null;
    const record: CatchAllRecord = {
      target,
      method: req.method ?? '?',
      path: req.url ?? '',
      caller: callerOf(header(req, 'authorization')),
      time: Date.now(),
    };
    const what = target ?? `${record.method} ${record.path}`;
    let answer = new AwsServiceError('UnknownOperationException', `not simulated: ${what}`);
    try {
      await readBody(req); // drained, so a keep-alive client can reuse the socket
      log.record(record);
    } catch (error) {
      answer = new AwsServiceError('InternalFailure', `catch-all failed: ${messageOf(error)}`, 500);
    }
    if (!res.destroyed) sendError(res, jsonContentType(req), answer);
  };
  const server = createServer((req, res) => void handle(req, res));
  const listener = await listenOnLoopback(server, host);
  return { url: listener.url, calls: log.calls, onCall: log.onCall, stop: listener.stop };
}
