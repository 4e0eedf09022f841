/**
 * One probe invocation as one stretch of a voter that never stops: take the voter over from the
 * invocation before (its snapshot: opinions, votes, clocks), watch, save what changes, and hand
 * over to the next invocation when it arrives, or save everything at the Lambda deadline. The
 * rules are core/voter-session.ts; this is their timing against the table.
 */
import type { Clock, VoterSessionStore } from '../core/interfaces.ts';
import { handedOver, handoverDeadline, isDuplicateStart, significantOf, successorPolling, type VoterSession } from '../core/voter-session.ts';
import { sleep } from '../core/wait.ts';
import type { Voter } from './voter.ts';
import { messageOf } from '../core/errors.ts';

export interface ProbeInvocation {
  /** The Lambda request id: who holds the voter. */
  readonly holder: string;
  /** When this invocation must have saved its snapshot (shortly before the Lambda timeout). */
  readonly deadline: number;
  /** How often the schedule starts the probe (PROBE_INTERVAL_MS). */
  readonly intervalMs: number;
}

export interface ProbeSessionDeps extends Clock {
  readonly store: VoterSessionStore;
  readonly log?: (line: string) => void;
}

export type SessionOutcome =
  /** Another invocation holds the voter and has not handed it over: this one did nothing. */
  | { readonly kind: 'duplicate'; readonly holder: string }
  /** Watched, then handed over to the next invocation. */
  | { readonly kind: 'handed-over'; readonly generation: number; readonly resumed: boolean }
  /** Watched until its own deadline: no successor came. */
  | { readonly kind: 'deadline'; readonly generation: number; readonly resumed: boolean };

/** How often a held voter's state is compared with the last one saved (a change is saved at once). */
const CHECKPOINT_EVERY_MS = 200;
/** How often a new invocation asks whether the one before has handed over (which watches on meanwhile). */
const HANDOVER_POLL_MS = 50;

export async function runProbeSession(voter: Voter, deps: ProbeSessionDeps, invocation: ProbeInvocation): Promise<SessionOutcome> {
  const { store, now, log } = deps;
  const id = voter.id;
  // Without the table there is no voting, leading or handing over: the invocation fails (Lambda's
  // Errors metric, the ProbeErrors alarm), and the one before keeps the voter until its own deadline.
  const unreachable = (error: unknown): never => {
    throw new Error(`${id}: cannot take the voter over, the table did not answer: ${messageOf(error)}`);
  };
  const before = await store.getSession(id).catch(unreachable);
  if (before && isDuplicateStart(before, now(), invocation.intervalMs)) return { kind: 'duplicate', holder: before.holder };
  const mine = await store
    .claimSession(id, { expectedGeneration: before?.generation ?? null, holder: invocation.holder, now: now(), deadline: invocation.deadline })
    .catch(unreachable);
  if (!mine) return { kind: 'duplicate', holder: (await store.getSession(id).catch(() => null))?.holder ?? 'unknown' };

  const previous = before ? await waitForHandover(before, deps, invocation.intervalMs) : null;
  const snapshot = previous?.snapshot ?? null;
  const takenAt = previous?.snapshotAt ?? null;
  if (snapshot && takenAt !== null) voter.resume(snapshot, takenAt);
  const resumed = snapshot !== null && takenAt !== null;
  if (before && previous && !handedOver(previous, before.generation)) {
    log?.(`${id}: invocation ${before.holder} did not hand over (it ended without saving, or is stuck); carrying on from its last snapshot`);
  }

  let superseded = false;
  const watching = voter.run(invocation.deadline);
  // What was taken over is saved already: only a change is worth a write.
  const saved = significantOf(snapshot ?? []);
  await Promise.all([watching, watchOver(voter, { mine, saved }, deps, invocation, () => (superseded = true), watching)]);
  // The watch is over: what it knows now is final, and the next invocation takes it from here.
  await store.saveSnapshot(id, { generation: mine.generation, snapshot: voter.snapshot(), now: now(), release: true }).catch((error: unknown) => {
    log?.(`${id}: could not save the handover (${messageOf(error)}); the next invocation carries on from the last checkpoint`);
  });
  return { kind: superseded ? 'handed-over' : 'deadline', generation: mine.generation, resumed };
}

/** Polls until the invocation `before` describes has handed over, or is taken to be gone; answers the session with its last snapshot. */
async function waitForHandover(before: VoterSession, deps: ProbeSessionDeps, intervalMs: number): Promise<VoterSession> {
  if (handedOver(before, before.generation)) return before;
  const until = handoverDeadline(before, deps.now(), intervalMs);
  let handed = false;
  while (!handed && deps.now() < until) {
    await sleep(HANDOVER_POLL_MS);
    const polled = await deps.store.getSession(before.voter, { snapshot: false }).catch(() => null);
    handed = polled !== null && handedOver(polled, before.generation);
  }
  // The snapshot as it stands now: the handover's, or the last checkpoint of one that never handed over.
  return (await deps.store.getSession(before.voter).catch(() => null)) ?? before;
}

/**
 * While the voter runs: saves its state whenever something significant changed (a crash then
 * loses only clocks), and from the time a successor is due, looks for it; once it has claimed
 * the voter, this one stops.
 */
async function watchOver(
  voter: Voter,
  held: { readonly mine: VoterSession; readonly saved: string },
  deps: ProbeSessionDeps,
  invocation: ProbeInvocation,
  onSuperseded: () => void,
  watching: Promise<void>,
): Promise<void> {
  const { mine } = held;
  const { store, now, log } = deps;
  let done = false;
  watching.then(
    () => (done = true),
    () => (done = true),
  );
  const polling = successorPolling(invocation.intervalMs);
  let saved = held.saved;
  let lastPollAt = 0;
  while (!done) {
    await sleep(Math.min(CHECKPOINT_EVERY_MS, polling.everyMs));
    if (done) return;
    const at = now();
    try {
      const snapshot = voter.snapshot();
      const state = significantOf(snapshot);
      if (state !== saved) {
        if (!(await store.saveSnapshot(voter.id, { generation: mine.generation, snapshot, now: at, release: false }))) {
          // A later invocation saved already: it holds the voter.
          onSuperseded();
          voter.stop();
          return;
        }
        saved = state;
      }
      if (at - mine.claimedAt >= polling.fromMs && at - lastPollAt >= polling.everyMs) {
        lastPollAt = at;
        const session = await store.getSession(voter.id, { snapshot: false });
        if (session && session.generation > mine.generation) {
          onSuperseded();
          voter.stop();
          return;
        }
      }
    } catch (error) {
      // The table failing must not end the watch: the next round tries again.
      log?.(`${voter.id}: session check failed: ${messageOf(error)}`);
    }
  }
}
