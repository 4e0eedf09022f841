/**
 * Secrets Manager for the simulation: GetSecretValue over a fixed set of secrets (the Redis
 * passwords the functions read), with rotation and a read count per secret so a test can see
 * a function re-read a rotated password. No value is ever logged or put in an error message.
 */
import { randomUUID } from 'node:crypto';
import { AwsServiceError, startAwsJsonServer } from './aws-json-server.ts';
import type { AwsCallRecord } from './aws-json-server.ts';

export interface SecretsManagerStandInOptions {
  /** Full secret ARN (`arn:aws:secretsmanager:<region>:<account>:secret:<name>-XXXXXX`) → SecretString. */
  readonly secrets: Readonly<Record<string, string>>;
  /** The address to listen on. @default '127.0.0.1' */
  readonly host?: string;
}

export interface SecretsManagerStandIn {
  readonly url: string;
  readonly calls: readonly AwsCallRecord[];
  /** Rotates: `value` becomes AWSCURRENT under a new VersionId, the old one AWSPREVIOUS. */
  set(arn: string, value: string): void;
  /** How many GetSecretValue calls found this secret (any version). */
  reads(arn: string): number;
  stop(): Promise<void>;
}

interface SecretVersion {
  readonly versionId: string;
  readonly value: string;
  /** Epoch ms. */
  readonly createdAt: number;
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  current: SecretVersion;
  previous: SecretVersion | null;
  reads: number;
}

const ARN = /^arn:[^:]+:secretsmanager:[^:]*:\d*:secret:(.+)-[A-Za-z0-9]{6}$/;

function version(value: string): SecretVersion {
  return { versionId: randomUUID(), value, createdAt: Date.now() };
}

export const SecretsManagerStandIn = {
  async start(options: SecretsManagerStandInOptions): Promise<SecretsManagerStandIn> {
    const byArn = new Map<string, Secret>();
    for (const [arn, value] of Object.entries(options.secrets)) {
      const name = ARN.exec(arn)?.[1];
      if (name === undefined) throw new Error(`${arn} is not a full secret ARN (…:secret:<name>-XXXXXX)`);
      byArn.set(arn, { arn, name, current: version(value), previous: null, reads: 0 });
    }

    /** Secrets Manager accepts the full ARN, the ARN without its random suffix, or the name. */
    const find = (secretId: string): Secret | undefined => {
      const exact = byArn.get(secretId);
      if (exact) return exact;
      for (const secret of byArn.values()) {
        if (secret.name === secretId || secret.arn.slice(0, -7) === secretId) return secret;
      }
      return undefined;
    };

    const getSecretValue = (body: Record<string, unknown>): unknown => {
      const { SecretId: secretId, VersionId: versionId, VersionStage: stage } = body;
      if (typeof secretId !== 'string' || secretId === '') {
        throw new AwsServiceError(
          'ValidationException',
          "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null",
        );
      }
      const secret = find(secretId);
      if (!secret) throw new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      secret.reads++;
      let chosen: SecretVersion | null = secret.current;
      let stages = ['AWSCURRENT'];
      if (typeof versionId === 'string') {
        chosen = [secret.current, secret.previous].find((v) => v?.versionId === versionId) ?? null;
        if (chosen === secret.previous) stages = ['AWSPREVIOUS'];
        if (!chosen)
          throw new AwsServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`);
      } else if (typeof stage === 'string' && stage !== 'AWSCURRENT') {
        chosen = stage === 'AWSPREVIOUS' ? secret.previous : null;
        stages = [stage];
        if (!chosen)
          throw new AwsServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: chosen.value,
        VersionId: chosen.versionId,
        VersionStages: stages,
        // The JSON protocol carries timestamps as epoch seconds.
        CreatedDate: chosen.createdAt / 1000,
      };
    };

    const server = await startAwsJsonServer({
      name: 'secrets-manager',
      targetPrefix: 'secretsmanager',
      operations: { GetSecretValue: getSecretValue },
      ...(options.host && { host: options.host }),
    });
    const known = (arn: string): Secret => {
      const secret = byArn.get(arn);
      if (!secret) throw new Error(`no secret ${arn}`);
      return secret;
    };
    return {
      url: server.url,
      calls: server.calls,
      set(arn, value) {
        const secret = known(arn);
        secret.previous = secret.current;
        secret.current = version(value);
      },
      reads: (arn) => known(arn).reads,
      stop: server.stop,
    };
  },
};
