/**
 * The local runtime's answer to `+failover-approval-requested`: a master's `preFailoverCommand`,
 * run as an EventBridge rule's target would be on AWS. Exit 0 approves (SendTaskSuccess), any
 * other status vetoes (SendTaskFailure, error `Vetoed`); still running at the approval timeout, it
 * is killed and the workflow's timeout default applies. Without a command nobody answers, so the
 * default applies too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { MasterConfig } from '../lambdas/core/config.ts';
import type { EventPublisher } from '../lambdas/core/interfaces.ts';
import type { SentinelEvent } from '../lambdas/core/events.ts';
import type { TaskTokens } from './callback-tasks.ts';

/** How much of the command's output a veto quotes: its last line, this long at most. */
const REASON_CHARS = 200;

export interface ApprovalHook extends EventPublisher {
  /** Kills the commands still running (the orchestrator is stopping). */
  stop(): void;
}

export function approvalHook(masters: readonly MasterConfig[], tokens: TaskTokens, log: (line: string) => void): ApprovalHook {
  const running = new Set<ChildProcess>();
  return {
    async publish(events) {
      for (const event of events) {
        const command = masters.find((m) => m.name === event.master)?.preFailoverCommand;
        const approval = event.type === '+failover-approval-requested' ? event.detail.approval : undefined;
        if (!approval) continue;
        if (command === undefined) {
          log(
            `${event.master}: approval asked and no preFailoverCommand to answer it: in ${approval.timeoutSeconds} s the timeout decides (${approval.onTimeout})`,
          );
          continue;
        }
        // In the background: the step that published the request must return for the workflow to wait.
        void ask(command, event, tokens, log, running);
      }
    },
    stop() {
      for (const child of running) killGroup(child);
    },
  };
}

/** The command and whatever it started: it runs in a process group of its own. */
function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function ask(command: string, event: SentinelEvent, tokens: TaskTokens, log: (line: string) => void, running: Set<ChildProcess>): Promise<void> {
  const approval = event.detail.approval!;
  const { master, epoch, masterAddress } = event.detail;
  const env = {
    ...process.env,
    REDIS_FAILOVER_MASTER: master,
    REDIS_FAILOVER_EPOCH: String(epoch ?? ''),
    REDIS_FAILOVER_EXECUTION: event.detail.execution ?? '',
    REDIS_FAILOVER_OLD_MASTER: masterAddress ? `${masterAddress.host}:${masterAddress.port}` : '',
    REDIS_FAILOVER_CANDIDATE: `${approval.candidate.host}:${approval.candidate.port}`,
    REDIS_FAILOVER_TIMEOUT_SECONDS: String(approval.timeoutSeconds),
  };
  const child = spawn('/bin/sh', ['-c', command], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4096);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const killer = setTimeout(() => killGroup(child), approval.timeoutSeconds * 1000);
  const status = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code));
  });
  clearTimeout(killer);
  running.delete(child);
  const lastLine = output.trim().split('\n').pop()?.slice(0, REASON_CHARS) ?? '';
  try {
    if (status === null) {
      log(`${master}: preFailoverCommand still ran after ${approval.timeoutSeconds} s: killed; the approval timeout decides (${approval.onTimeout})`);
    } else if (status === 0) {
      tokens.succeed(approval.taskToken, { approved: true, by: 'preFailoverCommand' });
    } else {
      tokens.fail(approval.taskToken, 'Vetoed', `preFailoverCommand exited with status ${status}${lastLine ? `: ${lastLine}` : ''}`);
    }
  } catch {
    // The task no longer waits (its execution ended or timed out meanwhile): nothing to answer.
  }
}
