/** A Lambda function as the simulation runs it: what the template says about it, resolved. */
export interface FunctionSpec {
  /** The template's logical id (`FailoverProbesProbe133067817`). */
  readonly logicalId: string;
  /** Physical name and ARN, as the simulated account names them. */
  readonly name: string;
  readonly arn: string;
  /** `nodejs24.x`. */
  readonly runtime: string;
  /** `index.handler`. */
  readonly handler: string;
  /** The bundle's folder in the cloud assembly (`cdk.out/asset.<hash>`). */
  readonly codeDir: string;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  /** Exactly the template's `Environment.Variables`, intrinsics resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** ReservedConcurrentExecutions; null when unreserved. */
  readonly reservedConcurrency: number | null;
  /** Asynchronous invocation (EventInvokeConfig): retries after a function error, and how old an event may get. */
  readonly async: { readonly maxRetryAttempts: number; readonly maxEventAgeMs: number };
  /** Aliases, each with its provisioned concurrency (0: none). */
  readonly aliases: readonly { readonly name: string; readonly arn: string; readonly provisionedConcurrency: number }[];
}

/** Lambda's defaults for asynchronous invocation without an EventInvokeConfig. */
export const DEFAULT_ASYNC = { maxRetryAttempts: 2, maxEventAgeMs: 6 * 3600_000 } as const;
