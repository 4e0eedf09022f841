/** The least-privilege table in lib/steps.ts against what each handler actually uses. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LAMBDAS_DIR, PROBE_TABLE_ACTIONS, STEP_ACCESS, STEP_KEYS, stepEntry } from '../../lib/steps.ts';

/** The DynamoDB actions each FailoverStore method of DynamoDbStore sends (lambdas/adapters/dynamodb-store.ts). */
const STORE_METHOD_ACTIONS: Record<string, readonly string[]> = {
  ensureMaster: ['dynamodb:PutItem', 'dynamodb:GetItem'],
  getMaster: ['dynamodb:GetItem'],
  putVote: ['dynamodb:PutItem'],
  listVotes: ['dynamodb:Query'],
  upsertReplicas: ['dynamodb:PutItem'],
  addReplica: ['dynamodb:PutItem'],
  listReplicas: ['dynamodb:Query'],
  removeReplica: ['dynamodb:DeleteItem'],
  tryStartFailover: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
  completeFailover: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
  recordPromotion: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
  abortFailover: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
  setPause: ['dynamodb:UpdateItem'],
  clearPause: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
  getSession: ['dynamodb:GetItem'],
  claimSession: ['dynamodb:UpdateItem'],
  saveSnapshot: ['dynamodb:UpdateItem'],
};

const storeCalls = (source: string): string[] => [...source.matchAll(/store\??\.([a-zA-Z]+)\(/g)].map((m) => m[1]!);
const actionsFor = (methods: readonly string[]): string[] => [...new Set(methods.flatMap((m) => STORE_METHOD_ACTIONS[m] ?? [`unknown method ${m}`]))].sort();

describe('STEP_ACCESS', () => {
  for (const step of STEP_KEYS) {
    it(`matches what ${step} does`, () => {
      const source = readFileSync(stepEntry(step), 'utf8');
      expect(STEP_ACCESS[step].redis).toBe(source.includes('deps.linkOptions('));
      expect([...STEP_ACCESS[step].table].sort()).toEqual(actionsFor(storeCalls(source)));
      expect(STEP_ACCESS[step].dns).toBe(source.includes('endpointFromEnv()'));
    });
  }

  it('matches what the probe does (the voter loop and the seeding of known replicas)', () => {
    const sources = [
      'runtime/master-watch.ts',
      'runtime/watch/instances.ts',
      'runtime/watch/voting.ts',
      'runtime/watch/election.ts',
      'runtime/watch/repairs.ts',
      'runtime/watch/endpoint-check.ts',
      'runtime/probe-session.ts',
      'runtime/leadership.ts',
      'runtime/seed.ts',
    ]
      .map((f) => readFileSync(`${LAMBDAS_DIR}${f}`, 'utf8'))
      .join('\n');
    expect([...PROBE_TABLE_ACTIONS].sort()).toEqual(actionsFor(storeCalls(sources)));
  });

  it("covers what the failover request does, which gets the probe's table actions", () => {
    const sources = ['request-failover.ts', 'runtime/failover-request.ts', 'runtime/leadership.ts', 'runtime/seed.ts']
      .map((f) => readFileSync(`${LAMBDAS_DIR}${f}`, 'utf8'))
      .join('\n');
    const used = actionsFor(storeCalls(sources));
    expect(used.filter((action) => !PROBE_TABLE_ACTIONS.includes(action as never))).toEqual([]);
  });
});
