/**
 * The shapes shared by the probes, the workflow steps and the command line.
 * Plain data only: everything here crosses a Step Functions state boundary as JSON.
 */
import type { ZonePreference } from './zones.ts';

/** Where a Redis server listens. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/** A monitored master as named in the config (Sentinel's `monitor <name> <ip> <port>`). */
export interface MasterRef extends Address {
  readonly name: string;
}

/** Per-master timing and concurrency, Sentinel's directives under our names. */
export interface FailoverSettings {
  /** `down-after-milliseconds`. */
  readonly downAfterMs: number;
  /** `failover-timeout`. */
  readonly failoverTimeoutMs: number;
  /** `parallel-syncs`: replicas reconfigured at the same time. */
  readonly parallelSyncs: number;
  /** Seconds the workflow waits in `WaitStart` before acting. */
  readonly waitStartSeconds: number;
  /**
   * The lag gate (beyond Sentinel): a replica more than this many bytes of replication stream
   * behind the most advanced offset known (the master's last, or the best replica's) is not
   * promoted. Absent: no gate, Sentinel's rules alone.
   */
  readonly maxPromotionLagBytes?: number;
  /** Zone preference (beyond Sentinel): candidates equal on replica-priority are ordered by zone before the offset. */
  readonly zonePreference?: ZonePreference;
  /**
   * The pre-failover veto (beyond Sentinel): after the selection, before any server is touched, the
   * workflow publishes `+failover-approval-requested` and waits for an answer this long; unanswered,
   * `onTimeout` decides. Absent: no veto.
   */
  readonly approval?: ApprovalSettings;
}

export interface ApprovalSettings {
  readonly timeoutSeconds: number;
  readonly onTimeout: 'proceed' | 'abort';
}

/**
 * The workflow's input: everything a failover needs, decided before it starts.
 * Credentials are never part of it; steps look them up by master name.
 */
export interface FailoverInput {
  readonly master: MasterRef;
  readonly epoch: number;
  readonly settings: FailoverSettings;
  /** Replicas known for this master (discovered from INFO, or remembered). */
  readonly replicas: readonly Address[];
  /** When the failover started (ms since the Unix epoch). */
  readonly startedAt: number;
  /** Since when the master is considered down (ms), or null when it is not known to be down. */
  readonly masterDownSince: number | null;
  /** True for an operator-requested failover (`SENTINEL FAILOVER`). */
  readonly manual: boolean;
  /**
   * A replica an earlier, unfinished epoch already sent REPLICAOF NO ONE to. If it reports
   * role:master with the same run_id, this failover resumes with it instead of making a second master.
   */
  readonly resumePromoted?: PromotedAddress | null;
  /** The master's replication offset when it was last seen as master (the lag gate's reference); absent: unknown. */
  readonly masterOffset?: number | null;
}

/** A promoted replica and the run_id it had when selected: a restarted server (new run_id) is not it any more. */
export interface PromotedAddress extends Address {
  readonly runId?: string | null;
}

/** One replica as seen by the leader at selection time. */
export interface ReplicaObservation {
  readonly address: Address;
  /** False when the replica could not be reached (no acceptable PING reply). */
  readonly reachable: boolean;
  /** Age of the last acceptable PING reply, ms. */
  readonly pingAgeMs: number;
  /** Age of the last INFO reply, ms. */
  readonly infoAgeMs: number;
  /** Parsed INFO, when reachable. */
  readonly info: ReplicationInfo | null;
}

/** What this project needs from `INFO` (server + replication sections). */
export interface ReplicationInfo {
  readonly role: 'master' | 'slave' | 'unknown';
  readonly runId: string | null;
  /** `slave_priority` / `replica_priority`; 100 when absent (Redis' default). */
  readonly replicaPriority: number;
  /** `slave_repl_offset` on a replica, `master_repl_offset` on a master. */
  readonly replOffset: number;
  /** The master a replica follows, when role is slave. */
  readonly masterHost: string | null;
  readonly masterPort: number | null;
  readonly masterLinkUp: boolean;
  /** `master_link_down_since_seconds`, null when the link is up or never reported. */
  readonly masterLinkDownSinceSeconds: number | null;
  /** `master_last_io_seconds_ago` (while the link is up): how long the replica has heard nothing from its master. */
  readonly masterLastIoSeconds: number | null;
  /** Replicas a master reports (`slaveN:ip=…,port=…,state=…,offset=…`). */
  readonly connectedReplicas: readonly ConnectedReplica[];
  /** Set while the server is loading its dataset. */
  readonly loading: boolean;
  /**
   * A master's `min_slaves_good_slaves`, present only when `min-replicas-to-write` and
   * `min-replicas-max-lag` are set: the fence that stops a cut-off master taking writes. Null when unset.
   */
  readonly minReplicasGood: number | null;
  /** `master_failover_state` (Redis ≥ 6.2): `no-failover`, `waiting-for-sync`, `failover-in-progress`; null when absent. */
  readonly failoverState: string | null;
}

export interface ConnectedReplica extends Address {
  readonly state: string;
  readonly offset: number;
  readonly lag: number | null;
}
