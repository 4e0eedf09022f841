import { describe, expect, it } from 'vitest';
import { handedOver, handoverDeadline, isDuplicateStart, successorPolling, type VoterSession } from '../../lambdas/core/voter-session.ts';

const MINUTE = 60_000;
const T0 = 1_800_000_000_000;

function session(over: Partial<VoterSession> = {}): VoterSession {
  return {
    voter: 'eu-west-1a',
    generation: 4,
    holder: 'req-4',
    claimedAt: T0,
    deadline: T0 + 2 * MINUTE - 3000,
    released: 3,
    snapshot: null,
    snapshotGeneration: 3,
    snapshotAt: T0,
    ...over,
  };
}

describe('successor polling', () => {
  it('looks for the next invocation from 1 s before it is due, every 250 ms, on a one-minute schedule', () => {
    expect(successorPolling(MINUTE)).toEqual({ fromMs: 59_000, everyMs: 250 });
  });

  it('scales down with the interval (the simulation runs seconds, not minutes)', () => {
    expect(successorPolling(3000)).toEqual({ fromMs: 2700, everyMs: 150 });
    expect(successorPolling(1000)).toEqual({ fromMs: 900, everyMs: 50 });
  });
});

describe('a second start of the same voter', () => {
  it('is a duplicate while the holder is alive, fresh and has not handed over', () => {
    expect(isDuplicateStart(session(), T0 + 1000, MINUTE)).toBe(true);
    expect(isDuplicateStart(session(), T0 + 29_000, MINUTE)).toBe(true);
  });

  it('is the next invocation once half an interval has passed', () => {
    expect(isDuplicateStart(session(), T0 + 30_000, MINUTE)).toBe(false);
    expect(isDuplicateStart(session(), T0 + 60_000, MINUTE)).toBe(false);
  });

  it('takes over at once from a holder that handed over or passed its deadline', () => {
    expect(isDuplicateStart(session({ released: 4 }), T0 + 1000, MINUTE)).toBe(false);
    expect(isDuplicateStart(session({ deadline: T0 + 500 }), T0 + 1000, MINUTE)).toBe(false);
  });
});

describe('waiting for the handover', () => {
  it('is over when the generation before has released', () => {
    expect(handedOver(session({ released: 4 }), 4)).toBe(true);
    expect(handedOver(session({ released: 5 }), 4)).toBe(true);
    expect(handedOver(session({ released: 3 }), 4)).toBe(false);
    expect(handedOver(session({ released: null }), 4)).toBe(false);
  });

  it('lasts until a live holder must have seen the claim and saved its snapshot: two polls after it starts looking, plus two slow table calls', () => {
    // Normal cadence: the new invocation arrives a minute after the holder's.
    expect(handoverDeadline(session(), T0 + MINUTE, MINUTE)).toBe(T0 + MINUTE + 2 * 250 + 2 * 2000);
    // An early arrival waits until the holder starts looking.
    expect(handoverDeadline(session(), T0 + 10_000, MINUTE)).toBe(T0 + 59_000 + 500 + 4000);
  });

  it('does not wait for a holder past its Lambda deadline: it is gone', () => {
    const gone = session({ deadline: T0 + 50_000 });
    expect(handoverDeadline(gone, T0 + MINUTE, MINUTE)).toBe(T0 + MINUTE);
    expect(handoverDeadline(session({ deadline: T0 + MINUTE + 100 }), T0 + MINUTE, MINUTE)).toBe(T0 + MINUTE + 100);
  });
});
