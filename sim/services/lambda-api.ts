/**
 * Lambda's Invoke API for the simulation (REST: `POST /2015-03-31/functions/{FunctionName}/invocations`),
 * over the LambdaService, so a function (or a test) that calls another with `@aws-sdk/client-lambda`
 * runs unchanged: RequestResponse answers what the function returned (a function error as 200 with
 * X-Amz-Function-Error, as Lambda does), Event queues it (202), DryRun only checks (204). The
 * caller is the access key id of the SigV4 header, as for the JSON-protocol stand-ins.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/cloudformation.ts';
import { listenOnLoopback } from '../../local/loopback.ts';
import { messageOf } from '../../lambdas/core/errors.ts';
import type { FunctionSpec } from '../lambda/function-spec.ts';
import { LambdaServiceError, type LambdaService } from '../lambda/service.ts';
import { AwsServiceError, callLog, callerOf, readBody, sendJson, type AwsCallRecord } from './aws-json-server.ts';

export interface LambdaApiOptions {
  readonly lambda: LambdaService;
  /** The address to listen on. @default '127.0.0.1' */
  readonly host?: string;
}

export interface LambdaApiCall extends AwsCallRecord {
  /** FunctionName as sent (decoded); null for a request that is no invocation. */
  readonly target: string | null;
  /** X-Amz-Invocation-Type as sent; null when absent (RequestResponse). */
  readonly invocationType: string | null;
}

export interface LambdaApiStandIn {
  /** `http://<host>:<port>`, for AWS_ENDPOINT_URL_LAMBDA. */
  readonly url: string;
  /** Every request, in arrival order. */
  readonly calls: readonly LambdaApiCall[];
  onCall(listener: (call: LambdaApiCall) => void): () => void;
  /** Closes the server and every open socket. Idempotent. */
  stop(): Promise<void>;
}

const INVOKE = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const TYPES = new Set(['RequestResponse', 'Event', 'DryRun']);

/** Lambda's REST errors: the SDK takes the code from x-amzn-ErrorType; `Type` says whose fault. */
function sendError(res: ServerResponse, error: AwsServiceError, extra: Record<string, unknown> = {}): void {
  const type = error.status >= 500 ? 'Service' : 'User';
  sendJson(res, error.status, 'application/json', { Type: type, message: error.message, ...extra }, { 'x-amzn-ErrorType': error.code });
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/**
 * The function FunctionName names: `name`, `<account>:function:<name>` or the full ARN, each
 * with an optional `:<qualifier>` (the qualified forms have an even number of parts), which must
 * agree with `?Qualifier=`. Throws ResourceNotFoundException naming the ARN, as Lambda does.
 */
function resolve(lambda: LambdaService, functionName: string, query: string | null): FunctionSpec {
  const parts = functionName.split(':');
  const qualified = parts.length % 2 === 0;
  const base = (qualified ? parts.slice(0, -1) : parts).join(':');
  const inName = qualified ? parts.at(-1)! : null;
  if (inName !== null && query !== null && inName !== query)
    throw new AwsServiceError('InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.');
  const qualifier = query ?? inName;
  const name = base.split(':').at(-1)!;
  const spec = lambda.specs.find((s) => s.name === name && (base === name || s.arn === base || s.arn.endsWith(`:${base}`)));
  // The ARN the error names: as given, else completed with the account's region (and account), which every function shares.
  const region = lambda.specs[0]?.arn.split(':')[3] ?? LOCAL_REGION;
  const account = lambda.specs[0]?.arn.split(':')[4] ?? LOCAL_ACCOUNT;
  const full = base.startsWith('arn:') ? base : base === name ? `arn:aws:lambda:${region}:${account}:function:${name}` : `arn:aws:lambda:${region}:${base}`;
  const arn = qualifier === null ? full : `${full}:${qualifier}`;
  // A qualifier is $LATEST, one of the function's aliases, or a version (which all run the one bundle here).
  const known = qualifier === null || qualifier === '$LATEST' || /^\d+$/.test(qualifier) || spec?.aliases.some((a) => a.name === qualifier);
  if (!spec || !known) throw new AwsServiceError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
  return spec;
}

export const LambdaApiStandIn = {
  async start(options: LambdaApiOptions): Promise<LambdaApiStandIn> {
    const { lambda } = options;
    const log = callLog<LambdaApiCall>();

    const invoke = async (res: ServerResponse, spec: FunctionSpec, invocationType: string, text: string): Promise<void> => {
      let event: unknown;
      try {
        // No payload is an empty object to the function, as on Lambda.
        event = text.trim() === '' ? {} : JSON.parse(text);
      } catch (error) {
        throw new AwsServiceError('InvalidRequestContentException', `Could not parse request body into json: ${messageOf(error)}`);
      }
      if (invocationType === 'DryRun') {
        res.writeHead(204, { 'x-amzn-RequestId': randomUUID() }).end();
        return;
      }
      if (invocationType === 'Event') {
        const requestId = lambda.invokeAsync(spec.name, event);
        res.writeHead(202, { 'x-amzn-RequestId': requestId, 'Content-Length': 0 }).end();
        return;
      }
      const answer = await lambda.invoke(spec.name, event);
      // Written here, not by sendJson: a function that returns nothing answers `null`, not `{}`.
      const body = JSON.stringify(answer.payload) ?? 'null';
      res
        .writeHead(200, {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'x-amzn-RequestId': answer.record.requestId,
          'X-Amz-Executed-Version': '$LATEST',
          ...(answer.functionError && { 'X-Amz-Function-Error': answer.functionError }),
        })
        .end(body);
    };

    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const url = new URL(req.url ?? '/', 'http://lambda');
      const match = req.method === 'POST' ? INVOKE.exec(url.pathname) : null;
      const invocationType = header(req, 'x-amz-invocation-type');
      let target: string | null = null;
      let reason: Record<string, unknown> = {};
      try {
        const text = await readBody(req);
        try {
          target = match ? decodeURIComponent(match[1]!) : null;
        } catch {
          // A malformed escape names no function.
        }
        log.record({
          operation: match ? 'Invoke' : `${req.method ?? '?'} ${url.pathname}`,
          caller: callerOf(header(req, 'authorization') ?? undefined),
          time: Date.now(),
          target,
          invocationType,
        });
        if (!match) throw new AwsServiceError('UnknownOperationException', `lambda does not simulate ${req.method ?? '?'} ${url.pathname}`);
        if (invocationType !== null && !TYPES.has(invocationType))
          throw new AwsServiceError('InvalidParameterValueException', `Unsupported invocation type: ${invocationType}`);
        const spec = resolve(lambda, target ?? '', url.searchParams.get('Qualifier'));
        // A throttle names its limit: the function's reserved concurrency, or the account's.
        reason = { Reason: spec.reservedConcurrency === null ? 'ConcurrentInvocationLimitExceeded' : 'ReservedFunctionConcurrentInvocationLimitExceeded' };
        await invoke(res, spec, invocationType ?? 'RequestResponse', text);
      } catch (error) {
        let aws: AwsServiceError;
        if (error instanceof AwsServiceError) aws = error;
        else if (error instanceof LambdaServiceError)
          aws = new AwsServiceError(
            error.code,
            error.message,
            { TooManyRequestsException: 429, ResourceNotFoundException: 404, ServiceException: 500 }[error.code],
          );
        else aws = new AwsServiceError('ServiceException', `lambda stand-in failed: ${messageOf(error)}`, 500);
        if (!res.headersSent && !res.destroyed) sendError(res, aws, aws.code === 'TooManyRequestsException' ? reason : {});
      }
    };

    const server = createServer((req, res) => void handle(req, res));
    const listener = await listenOnLoopback(server, options.host);
    return { url: listener.url, calls: log.calls, onCall: log.onCall, stop: listener.stop };
  },
};
