/**
 * Where the command line's operator requests go: a running `redis-failover local` (its Sentinel
 * port), or a deployed stack's request function (Lambda Invoke, `--function`). Both answer the one
 * request shape of lambdas/runtime/operator.ts, so each command is written once.
 */
import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { ConfigError, HandoverAbortedError, OrchestratorError, UsageError, messageOf, type FailoverError } from '../lambdas/core/errors.ts';
import type { OperatorAction, OperatorAnswers, OperatorRequest } from '../lambdas/runtime/operator.ts';
import { errorOfReply } from '../local/resp-errors.ts';
import type { OrchestratorClient } from '../local/orchestrator-client.ts';

export interface OperatorChannel {
  /** Who answers, for the notes: `the orchestrator on 127.0.0.1:26379`, `function redis-failover-request`. */
  readonly where: string;
  operate<A extends OperatorAction>(request: OperatorRequest & { action: A }): Promise<OperatorAnswers[A]>;
  close(): void;
}

/** Through a running orchestrator's Sentinel port: SENTINEL PAUSE, RESUME, STATUS, HISTORY, GET-MASTER-ADDR-BY-NAME. */
export function portChannel(client: OrchestratorClient): OperatorChannel {
  return {
    where: `the orchestrator on 127.0.0.1:${client.port}`,
    operate: async (request) => {
      try {
        return (await client.operate(request)) as never;
      } catch (error) {
        throw errorOfReply(messageOf(error), `the orchestrator on 127.0.0.1:${client.port}`);
      }
    },
    close: () => client.close(),
  };
}

/**
 * Through the deployed request function: one synchronous Invoke with the request as its event.
 * The SDK finds the region and credentials as the AWS CLI does (and AWS_ENDPOINT_URL_LAMBDA).
 */
export function lambdaChannel(functionName: string, client: LambdaClient = new LambdaClient({})): OperatorChannel {
  const where = `function ${functionName}`;
  return {
    where,
    operate: async (request) => {
      let out: InvokeCommandOutput;
      try {
        out = await client.send(new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(request)) }));
      } catch (error) {
        throw new UsageError(`cannot invoke ${where}: ${(error as Error).name}: ${messageOf(error)}`, { cause: error });
      }
      const text = out.Payload ? new TextDecoder().decode(out.Payload) : 'null';
      const payload: unknown = JSON.parse(text);
      if (out.FunctionError) throw functionError(payload, where);
      return payload as never;
    },
    close: () => client.destroy(),
  };
}

/** A function error as our own error, by its errorType (the kind's name, lambdas/core/errors.ts). */
function functionError(payload: unknown, where: string): FailoverError {
  const { errorType = 'Error', errorMessage = '' } = (payload ?? {}) as { errorType?: string; errorMessage?: string };
  switch (errorType) {
    case 'FailoverRefused':
      // Its message starts with the code, as the port's reply does.
      return errorOfReply(errorMessage, where);
    case 'HandoverAbortedError':
      return new HandoverAbortedError(errorMessage);
    case 'UsageError':
      return new UsageError(errorMessage);
    case 'ConfigError':
      return new ConfigError(`${where}: ${errorMessage}`);
    default:
      return new OrchestratorError(`${where} failed: ${errorType}: ${errorMessage}`);
  }
}

/** A refusal for a request that needs someone to ask. */
export function nobodyToAsk(what: string, port: number): UsageError {
  return new UsageError(
    `${what} needs a running orchestrator: none answers on 127.0.0.1:${port} (start redis-failover local, or give --port); for a deployed stack give --function <request function>`,
  );
}
