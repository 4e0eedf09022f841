/**
 * The pre-failover veto on real servers, through the local runtime's hook (`preFailoverCommand`):
 * after the selection and before any server is touched, `+failover-approval-requested`; the
 * command's exit status approves or vetoes, and an unanswered request takes the configured
 * default. A veto or an abort leaves every server as it was and releases the lease.
 */
import { describe, expect, it } from 'vitest';
import { MemoryPublisher } from '../../lambdas/adapters/publisher.ts';
import { requestOnce } from '../support/failover-run.ts';
import { types } from '../support/orchestrator.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { infoOf, masterConfig, type Topology } from '../support/topology.ts';

// The workflow loaded once; after each test its orchestrators, then its servers, stopped.
const lifecycle = integrationLifecycle();

const topologyOfTwo = (): Promise<Topology> => lifecycle.topology({ replicas: [{}, {}] });

/** Every server still in the roles it had: the master a master, each replica following it. */
async function untouched(topology: Topology): Promise<void> {
  expect((await infoOf(topology.master)).role).toBe('master');
  for (const replica of topology.replicas) {
    const info = await infoOf(replica);
    expect(info.role).toBe('slave');
    expect(info.masterPort).toBe(topology.master.options.port);
  }
}

describe('the pre-failover veto (preFailoverCommand)', () => {
  it('a command that exits non-zero vetoes: its last line in -failover-abort-vetoed, no server touched, the lease released', async () => {
    const topology = await topologyOfTwo();
    const events = new MemoryPublisher();
    const master = masterConfig(topology, { preFailoverCommand: 'echo "change freeze until Friday ($REDIS_FAILOVER_CANDIDATE)" >&2; exit 3' });

    const { execution, record } = await requestOnce({ master, publisher: events });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Vetoed');
    const seen = types(events);
    expect(seen).toContain('+failover-approval-requested');
    expect(seen).not.toContain('+failover-state-send-slaveof-noone');
    expect(seen.slice(seen.indexOf('+selected-slave'))).toEqual(['+selected-slave', '+failover-approval-requested', '-failover-abort-vetoed']);
    const vetoed = events.events.find((e) => e.type === '-failover-abort-vetoed')!;
    const candidate = execution.lastState?.selection?.promoted;
    expect(vetoed.detail.reason).toBe(`preFailoverCommand exited with status 3: change freeze until Friday (${candidate?.host}:${candidate?.port})`);
    const requested = events.events.find((e) => e.type === '+failover-approval-requested')!;
    expect(requested.message).toMatch(/^master mymaster 127\.0\.0\.1 \d+ candidate 127\.0\.0\.1:\d+ timeout 30 s then abort$/);
    expect(requested.detail.approval?.taskToken).toMatch(/^mymaster-1:/);
    expect(record.failover).toBeNull();
    await untouched(topology);
  });

  it('a command that exits 0 approves: +failover-approved, then the promotion and +switch-master', async () => {
    const topology = await topologyOfTwo();
    const events = new MemoryPublisher();
    const master = masterConfig(topology, { preFailoverCommand: 'test "$REDIS_FAILOVER_MASTER" = mymaster && test "$REDIS_FAILOVER_EPOCH" = 1' });

    const { execution } = await requestOnce({ master, publisher: events });

    expect(execution.status).toBe('SUCCEEDED');
    const seen = types(events);
    const from = seen.indexOf('+selected-slave');
    expect(seen.slice(from, from + 4)).toEqual(['+selected-slave', '+failover-approval-requested', '+failover-approved', '+failover-state-send-slaveof-noone']);
    expect(seen).toContain('+switch-master');
    expect(execution.output?.approval).toEqual({ approved: true, by: 'preFailoverCommand' });
  });

  it('unanswered in time with the default (abort): the command is killed, -failover-abort-approval-timeout, nothing touched', async () => {
    const topology = await topologyOfTwo();
    const events = new MemoryPublisher();
    const master = masterConfig(topology, { approval: { timeoutSeconds: 1 }, preFailoverCommand: 'sleep 30' });

    const { execution, record } = await requestOnce({ master, publisher: events });

    expect(execution.error).toBe('ApprovalTimeout');
    expect(types(events)).toContain('-failover-abort-approval-timeout');
    expect(types(events)).not.toContain('+failover-state-send-slaveof-noone');
    expect(record.failover).toBeNull();
    await untouched(topology);
  });

  it('unanswered in time with onTimeout proceed (no command): +failover-approval-timeout, then the failover', async () => {
    const topology = await topologyOfTwo();
    const events = new MemoryPublisher();
    const master = masterConfig(topology, { approval: { timeoutSeconds: 1, onTimeout: 'proceed' } });

    const { execution } = await requestOnce({ master, publisher: events });

    expect(execution.status).toBe('SUCCEEDED');
    const seen = types(events);
    const from = seen.indexOf('+failover-approval-requested');
    expect(seen.slice(from, from + 3)).toEqual(['+failover-approval-requested', '+failover-approval-timeout', '+failover-state-send-slaveof-noone']);
    expect(seen).toContain('+switch-master');
  });
});
