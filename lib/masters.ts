/**
 * The master groups a deployment watches: the `masters` of the config file, as construct props.
 * Validated at synth time by the very parser the Lambda functions run (lambdas/core/config.ts, its
 * deployed flavour: no password in clear, only `auth.secretArn`).
 */
import type { Config } from '../lambdas/core/config.ts';

/** AUTH for a deployed master group: a Secrets Manager secret, never a password in clear. */
export interface RedisSecretAuthProps {
  /**
   * The ACL user. A `username` in the secret wins over this one.
   * @default - the secret's `username`, else Redis' `default` user
   */
  readonly username?: string;
  /**
   * Full ARN of the secret (with its 6-character suffix): JSON `{ "password": "…", "username"?: "…" }`
   * or a plain string, the password. The functions that connect to Redis may read exactly this secret.
   */
  readonly secretArn: string;
}

/** Where a Redis server answers. */
export interface RedisAddressProps {
  /** An IPv4 address or a host name the functions resolve in the VPC. */
  readonly host: string;
  /** Its TCP port. */
  readonly port: number;
}

/** One master group, as in the config file (Sentinel's `monitor` and per-master directives). */
export interface RedisMasterProps extends RedisAddressProps {
  /** 1–64 of `A–Z a–z 0–9 . _ -`: the first word of every event message, part of the execution name. */
  readonly name: string;
  /** SDOWN votes needed for ODOWN; at most the number of probes. */
  readonly quorum: number;
  /**
   * How long the master may not answer PING before a voter calls it SDOWN (Sentinel's `down-after-milliseconds`).
   * @default 30000
   */
  readonly downAfterMs?: number;
  /**
   * Bounds each phase of a failover and spaces two attempts on the same master (Sentinel's `failover-timeout`).
   * @default 180000
   */
  readonly failoverTimeoutMs?: number;
  /**
   * Replicas re-pointed at the new master at once (Sentinel's `parallel-syncs`).
   * @default 1
   */
  readonly parallelSyncs?: number;
  /**
   * Seconds a failover pauses in its first state (`WaitStart`, after `+failover-state-wait-start`) before it acts: room to veto by hand.
   * @default 0
   */
  readonly waitStartSeconds?: number;
  /**
   * AUTH of every server of the group, from a Secrets Manager secret.
   * @default - no AUTH
   */
  readonly auth?: RedisSecretAuthProps;
  /**
   * Replicas known before the first probe runs; INFO replication adds the others.
   * @default []
   */
  readonly knownReplicas?: readonly RedisAddressProps[];
  /**
   * After a restart, a master answering -LOADING counts as alive only this long (Sentinel's
   * `master-reboot-down-after-period`); 0: for ever.
   * @default 0
   */
  readonly masterRebootDownAfterMs?: number;
  /**
   * The lag gate (beyond Sentinel): a replica more than this many bytes behind the most advanced
   * replication offset known (the master's last, or the best replica's) is not promoted; when none
   * qualifies the failover aborts (`-failover-abort-no-good-slave`) naming the gap. Availability or data: your choice.
   * @default - no gate
   */
  readonly maxPromotionLagBytes?: number;
  /**
   * Where the servers are, for zone preference: keys `host:port`, `host` or an IPv4 CIDR block
   * (`10.0.1.0/24`, e.g. each subnet of the VPC), values the zone; the most specific key wins.
   * @default - no zones known
   */
  readonly zones?: Readonly<Record<string, string>>;
  /**
   * Zones to promote into, best first: among replicas equal on replica-priority, zone order comes
   * before the replication offset (a zone not listed ranks after the listed ones).
   * @default []
   */
  readonly preferredZones?: readonly string[];
  /**
   * Rank a replica in the old master's zone after the others (a zone outage is what took the master).
   * @default false
   */
  readonly avoidSameZoneAsOldMaster?: boolean;
  /**
   * The pre-failover veto (beyond Sentinel): after the selection and before any server is touched,
   * the workflow publishes `+failover-approval-requested` with a task token and waits (Step Functions'
   * waitForTaskToken) for SendTaskSuccess (go ahead) or SendTaskFailure (veto:
   * `-failover-abort-vetoed`, the lease released). Unanswered after `timeoutSeconds` (1 to 3600, default
   * 30), `onTimeout` decides: `abort` (the default, `-failover-abort-approval-timeout`) or `proceed`
   * (`+failover-approval-timeout`).
   * @default - no veto
   */
  readonly approval?: { readonly timeoutSeconds?: number; readonly onTimeout?: 'proceed' | 'abort' };
  /**
   * `true`: no automatic failover while a replica the voters reach still replicates from the master
   * with its link up and heard from it within down-after (docs/fencing.md).
   * @default false
   */
  readonly witnesses?: boolean;
  /**
   * `true` or `{ minReplicas, maxLagSeconds }`: the voters keep `min-replicas-to-write` /
   * `min-replicas-max-lag` set on every server of the group (docs/fencing.md).
   * @default false
   */
  readonly fencing?: boolean | { readonly minReplicas?: number; readonly maxLagSeconds?: number };
}

/**
 * The one rule of `probes` in a deployment: a probe (a voter) runs per zone of the function subnets, so
 * a `probes` given must be that count. The problem, or undefined when there is none; the stack counts
 * the subnets it is given, the construct the zones of vpcSubnets.
 */
export function probesProblem(probes: number | undefined, voters: number, counted: 'subnets' | 'zones'): string | undefined {
  if (probes === undefined || probes === voters) return undefined;
  return counted === 'subnets'
    ? `is ${probes} but ${voters} subnets were given: one probe runs per subnet`
    : `is ${probes} but vpcSubnets has ${voters} availability zones: one probe runs per zone`;
}

/** Every distinct Redis port named in the config: the masters' and their known replicas'. */
export function redisPortsOf(config: Config): number[] {
  const ports = new Set<number>();
  for (const master of config.masters) {
    ports.add(master.port);
    for (const replica of master.knownReplicas) ports.add(replica.port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** The distinct secret ARNs the config names. */
export function secretArnsOf(config: Config): string[] {
  return [...new Set(config.masters.flatMap((m) => (m.auth?.secretArn === undefined ? [] : [m.auth.secretArn])))];
}
