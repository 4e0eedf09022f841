/**
 * The selection rules beyond Sentinel on the deployed artifact: the lag gate and zone preference
 * travel from the config file through the construct into the probes' and SelectSlave's bundles,
 * as they run on Lambda. One kill: the replica behind is refused (`lag-too-large`), the one in the
 * preferred zone promoted, and `+selected-slave` says which zone and why.
 */
import { describe, expect, it } from 'vitest';
import type { SelectionOutput } from '../../lambdas/core/workflow-state.ts';
import { eventsOf, nextEvent, simulatedSuite } from '../support/simulation.ts';
import { testPorts } from '../support/ports.ts';
import { cutOff, writeKeys } from '../support/topology.ts';

const GATED = {
  name: 'gated',
  quorum: 2,
  downAfterMs: 1500,
  more: ([master, first, second]: readonly [number, number, number]) => ({
    maxPromotionLagBytes: 1000,
    zones: { [`127.0.0.1:${master}`]: 'zone-a', [`127.0.0.1:${first}`]: 'zone-b', [`127.0.0.1:${second}`]: 'zone-c' },
    preferredZones: ['zone-c', 'zone-b'],
  }),
};
const suite = simulatedSuite([GATED]);

describe('a master group with the lag gate and zone preference, deployed', () => {
  it('refuses the replica behind, though in the preferred zone, and promotes the other, saying its zone', async () => {
    const { deployment, topologies } = await suite.shared({ failsOver: [GATED.name] });
    const { master, replicas } = topologies[GATED.name]!;
    const [caughtUp, behind] = replicas as [(typeof replicas)[number], (typeof replicas)[number]];
    // zone-c is preferred first: only the lag gate keeps the failover off it.
    await cutOff(behind, testPorts());
    await writeKeys(master, 2000, 1);

    await master.kill();

    const switched = await nextEvent(deployment, GATED.name, '+switch-master', { timeoutMs: 40_000 });
    expect(switched.detail.newMaster).toEqual(caughtUp.address);
    expect(eventsOf(deployment, GATED.name, '+selected-slave').map((e) => e.detail.reason)).toEqual(['zone zone-b (preferred #2)']);
    await deployment.stepFunctions.settled();
    const [execution] = deployment.stepFunctions.executions().filter((e) => e.name === `${GATED.name}-1`);
    const selection = (execution?.output as { selection?: SelectionOutput } | undefined)?.selection;
    expect(selection?.rejected).toEqual([expect.objectContaining({ address: behind.address, reason: 'lag-too-large' })]);
  });
});
