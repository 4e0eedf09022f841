'use strict';
/**
 * The runtime inside one simulated Lambda execution environment (a child process): what the
 * Node.js managed runtime does around a handler. It loads `_HANDLER` from LAMBDA_TASK_ROOT once
 * (the init phase), then serves invocations one at a time over the IPC channel, with Lambda's
 * context (getRemainingTimeInMillis, awsRequestId, …) and Lambda's error shape
 * ({ errorType, errorMessage, trace }). Plain CommonJS: it runs under the Lambda runtime's own
 * Node.js (for nodejs24.x, Node 24), outside the project's TypeScript loader.
 */
const path = require('node:path');
const fs = require('node:fs');
const util = require('node:util');

const started = Date.now();
let currentRequestId = null;

// Lambda's text log format: timestamp, request id, level, message (one record per console call).
for (const [method, level] of [
  ['log', 'INFO'],
  ['info', 'INFO'],
  ['warn', 'WARN'],
  ['error', 'ERROR'],
  ['debug', 'DEBUG'],
]) {
  const stream = level === 'ERROR' || level === 'WARN' ? process.stderr : process.stdout;
  console[method] = (...args) => {
    const text = util.format(...args).replace(/\n/g, '\r');
    stream.write(`${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${text}\n`);
  };
}

/** The Node.js runtime's error format: a thrown Error keeps its name; anything else is named by its type. */
function formatError(error) {
  if (error instanceof Error) {
    return { errorType: error.name || 'Error', errorMessage: error.message, trace: String(error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function send(message) {
  if (process.connected) process.send(message);
}

/** `index.handler` → the `handler` export of LAMBDA_TASK_ROOT/index.{js,cjs,mjs}. */
async function loadHandler() {
  const spec = process.env._HANDLER ?? '';
  const dot = spec.lastIndexOf('.');
  if (dot <= 0) throw Object.assign(new Error(`Bad handler ${spec}: expected <module>.<export>`), { name: 'Runtime.MalformedHandlerName' });
  const moduleName = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  const file = ['.js', '.cjs', '.mjs'].map((ext) => path.join(root, moduleName + ext)).find((f) => fs.existsSync(f));
  if (!file) throw Object.assign(new Error(`Cannot find module '${moduleName}'`), { name: 'Runtime.ImportModuleError' });
  let mod;
  try {
    mod = file.endsWith('.mjs') ? await import(file) : require(file);
  } catch (error) {
    const wrapped = new Error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    wrapped.name = error instanceof SyntaxError ? 'Runtime.UserCodeSyntaxError' : 'Runtime.ImportModuleError';
    wrapped.stack = error instanceof Error ? error.stack : wrapped.stack;
    throw wrapped;
  }
  const handler = mod[exportName];
  if (typeof handler !== 'function') throw Object.assign(new Error(`${spec} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  return handler;
}

function contextFor(message) {
  return {
    awsRequestId: message.requestId,
    invokedFunctionArn: message.invokedFunctionArn,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
}

/** Async handlers resolve; callback handlers (three parameters) call back; either way once. */
function call(handler, event, context) {
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const result = handler(event, context, (error, value) => (error ? reject(error) : resolve(value)));
      if (result && typeof result.then === 'function') result.then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => handler(event, context));
}

// A rejection nobody handles ends the environment, as in Lambda's Node.js runtime.
process.on('unhandledRejection', (reason) => {
  const formatted = formatError(reason);
  console.error(`Unhandled Promise Rejection\t${JSON.stringify({ errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: formatted.errorMessage })}`);
  // 'fatal': the environment is gone after this answer, and must not be frozen for reuse.
  if (currentRequestId)
    send({
      type: 'fatal',
      requestId: currentRequestId,
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: formatted.errorMessage,
      trace: formatted.trace,
    });
  process.exit(128);
});

(async () => {
  let handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    send({ type: 'init-error', ...formatError(error) });
    return;
  }
  send({ type: 'ready', initMs: Date.now() - started });
  process.on('message', async (message) => {
    if (message?.type !== 'invoke') return;
    currentRequestId = message.requestId;
    try {
      const value = await call(handler, message.event, contextFor(message));
      const payload = value === undefined ? null : JSON.parse(JSON.stringify(value));
      send({ type: 'response', requestId: message.requestId, payload });
    } catch (error) {
      send({ type: 'error', requestId: message.requestId, ...formatError(error) });
    }
  });
})();
