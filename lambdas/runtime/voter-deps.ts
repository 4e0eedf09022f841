/** What a voter is given: the leader's dependencies, its id, faults to simulate, where its notes go. */
import type { Address } from '../core/types.ts';
import type { Metrics } from '../core/interfaces.ts';
import type { MasterEndpoint } from './endpoint.ts';
import type { LeaderDeps } from './leadership.ts';

/** Fault injection, the equivalent of `SENTINEL SIMULATE-FAILURE`. */
export interface VoterFaults {
  /** This voter gets no reply from these servers (its own view only). */
  readonly unreachable?: (address: Address) => boolean;
  /** Crash right after winning the election of this epoch, before starting the workflow. */
  readonly crashAfterElection?: (epoch: number) => boolean;
}

export interface VoterDeps extends LeaderDeps {
  readonly voterId: string;
  readonly faults?: VoterFaults;
  /** Human notes (leadership lost, attempts blocked); never secrets. */
  readonly log?: (line: string) => void;
  /**
   * Notes about the servers' configuration (refused credentials, a name that does not resolve,
   * no min-replicas-to-write): every voter finds the same. Each Lambda voter writes its own log,
   * so there they go to `log`; voters sharing one process say each once (see local/orchestrator.ts).
   * @default log
   */
  readonly notice?: (line: string) => void;
  /** The groups' DNS records, when the stack keeps them: the voters repair what disagrees with the table. */
  readonly endpoint?: MasterEndpoint;
  /** The pause between two looks at the records. @default 30000 */
  readonly endpointCheckMs?: number;
  /** Ticks, failed ticks, SDOWN/ODOWN of the master, leadership won (per voter and master group). @default - none */
  readonly metrics?: Metrics;
}
