/** Sentinel's failover sequence (the events of docs/events.md, "Failover events", in order) for a failover that re-points `reconfigured` replicas (the old master's +convert-to-slave left out: it runs beside them). */
export function seedSequence(reconfigured: number): string[] {
  return [
    '+failover-triggered',
    '+failover-state-wait-start',
    '+failover-state-select-slave',
    '+selected-slave',
    '+failover-state-send-slaveof-noone',
    '+failover-state-wait-promotion',
    '+promoted-slave',
    '+failover-state-reconf-slaves',
    ...Array.from({ length: reconfigured }, () => ['+slave-reconf-sent', '+slave-reconf-inprog', '+slave-reconf-done']).flat(),
    '+failover-end',
    '+switch-master',
  ];
}
