/**
 * The maintenance pause (`redis-failover pause` / `resume`, the request function's `pause` and
 * `resume`): while one is in force the voters still probe, vote and say `+sdown`/`+odown`, but
 * start no failover (`+failover-held`); a person's failover still runs. A pause always has an
 * end: the voters end it when it runs out (`-pause … expired`, watch/election.ts).
 */
import type { MasterConfig } from '../core/config.ts';
import { pauseEvent } from '../core/events.ts';
import type { Clock, EventPublisher, FailoverStore, RedisLinkOptions } from '../core/interfaces.ts';
import type { MaintenancePause } from '../core/store.ts';
import { FailoverRefused, UsageError } from '../core/errors.ts';
import { masterRecord } from './seed.ts';

/** The longest pause: long enough for a maintenance window, short enough that none is forgotten for good. */
const MAX_PAUSE_MS = 7 * 24 * 3600 * 1000;
const MAX_REASON_CHARS = 200;

export interface MaintenanceDeps extends Clock {
  readonly masters: readonly MasterConfig[];
  readonly store: FailoverStore;
  readonly publisher: EventPublisher;
  readonly linkOptions: (masterName: string) => Promise<RedisLinkOptions>;
}

export interface PauseRequest {
  /** A master's name, or `*` for every master. */
  readonly master: string;
  readonly forMs: number;
  readonly reason: string;
  /** Who asks, in the record and the events. @default 'manual' */
  readonly by?: string;
}

/** One master's pause as the table holds it now (times in ms since the Unix epoch). */
export interface PauseState {
  readonly master: string;
  readonly pause: MaintenancePause | null;
}

/** Pauses automatic failover of one master or all (`*`), replacing a pause in force; says `+pause`. */
export async function pauseFailover(request: PauseRequest, deps: MaintenanceDeps): Promise<PauseState[]> {
  const { forMs, reason } = request;
  if (!Number.isInteger(forMs) || forMs < 1000 || forMs > MAX_PAUSE_MS)
    throw new UsageError(`a pause lasts from 1 s to 7 days (got ${JSON.stringify(forMs)} ms): give its length, e.g. --for 30m`);
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (text === '' || text.length > MAX_REASON_CHARS || /[\r\n]/.test(text))
    throw new UsageError(`a pause needs a reason of one line, at most ${MAX_REASON_CHARS} characters (--reason "…")`);
  const now = deps.now();
  const pause: MaintenancePause = { since: now, until: now + forMs, reason: text, by: request.by ?? 'manual' };
  const states: PauseState[] = [];
  for (const master of mastersNamed(request.master, deps.masters)) {
    await masterRecord(master, deps);
    const record = await deps.store.setPause(master.name, pause);
    await deps.publisher.publish([pauseEvent('+pause', record, pause)]);
    states.push({ master: master.name, pause });
  }
  return states;
}

/** Ends the pause of one master or all (`*`); `-pause … resumed` for each that had one. */
export async function resumeFailover(name: string, deps: MaintenanceDeps): Promise<PauseState[]> {
  const states: PauseState[] = [];
  for (const master of mastersNamed(name, deps.masters)) {
    await masterRecord(master, deps);
    const { cleared, record } = await deps.store.clearPause(master.name);
    if (cleared) await deps.publisher.publish([pauseEvent('-pause', record, cleared, { ended: 'resumed' })]);
    states.push({ master: master.name, pause: null });
  }
  return states;
}

/** `*` is every master; a name not in the config is refused as SENTINEL refuses it. */
export function mastersNamed(name: string, masters: readonly MasterConfig[]): readonly MasterConfig[] {
  if (name === '*') return masters;
  const master = masters.find((m) => m.name === name);
  if (!master) throw new FailoverRefused('UNKNOWN', `No such master with that name: ${JSON.stringify(name)} (known: ${masters.map((m) => m.name).join(', ')})`);
  return [master];
}
