/**
 * EventBridge Scheduler for the simulation: each enabled rate schedule of the template starts its
 * target asynchronously (InvocationType Event, as Scheduler invokes Lambda) every period, the
 * first time when the deployment starts. What happens to a start the function cannot take at once
 * is the Lambda service's queue (sim/lambda/service.ts).
 */
import type { ScheduleSpec } from './assembly.ts';
import type { LambdaService } from './lambda/service.ts';

export interface ScheduleFiring {
  readonly schedule: string;
  readonly at: number;
  readonly requestId: string;
  /** Fired by `fireNow`, outside the period. */
  readonly forced: boolean;
}

export class Scheduler {
  readonly firings: ScheduleFiring[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private paused = new Set<string>();

  constructor(
    readonly schedules: readonly ScheduleSpec[],
    private readonly lambda: LambdaService,
  ) {}

  start(): void {
    for (const schedule of this.schedules) {
      if (!schedule.enabled) continue;
      this.fire(schedule);
      const timer = setInterval(() => this.fire(schedule), schedule.periodMs);
      this.timers.set(schedule.logicalId, timer);
    }
  }

  /** When the schedule fires next (its period after the last firing). */
  nextFiringAt(logicalId: string): number {
    const schedule = this.schedules.find((s) => s.logicalId === logicalId);
    const last = this.firings.findLast((f) => f.schedule === logicalId && !f.forced);
    if (!schedule || !last) throw new Error(`schedule ${logicalId} has not fired`);
    return last.at + schedule.periodMs;
  }

  /** Starts the targets of the schedules chosen now, outside their period (as `aws scheduler` cannot, but a test may). */
  fireNow(which: (schedule: ScheduleSpec) => boolean): void {
    for (const schedule of this.schedules) if (schedule.enabled && which(schedule)) this.fire(schedule, true);
  }

  /** Disables the chosen schedules until `resume` (State DISABLED). */
  pause(which: (schedule: ScheduleSpec) => boolean): void {
    for (const schedule of this.schedules) if (which(schedule)) this.paused.add(schedule.logicalId);
  }

  resume(which: (schedule: ScheduleSpec) => boolean = () => true): void {
    this.paused = new Set([...this.paused].filter((id) => !which(this.schedules.find((s) => s.logicalId === id)!)));
  }

  stop(): void {
    for (const timer of this.timers.values()) clearInterval(timer);
    this.timers.clear();
  }

  private fire(schedule: ScheduleSpec, forced = false): void {
    if (!forced && this.paused.has(schedule.logicalId)) return;
    const requestId = this.lambda.invokeAsync(schedule.targetArn, schedule.input);
    this.firings.push({ schedule: schedule.logicalId, at: Date.now(), requestId, forced });
  }
}
