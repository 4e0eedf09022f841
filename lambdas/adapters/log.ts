/**
 * Structured logs: one JSON object per line, `{"time","level","message",…fields}`, which
 * CloudWatch Logs Insights reads field by field (`filter event = "+switch-master"`). A helper of
 * our own rather than Powertools' Logger: the fields are ours, it adds nothing to the bundles,
 * and the local runtime writes the very same lines (`--log-format json`). Never given a secret:
 * callers log names, addresses, events and error messages only.
 */
import type { SentinelEvent } from '../core/events.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** The fields a line may carry besides its message. */
export interface LogFields {
  readonly voter?: string;
  readonly master?: string;
  readonly epoch?: number;
  readonly execution?: string;
  /** A Sentinel event's name, on the line that says it was published. */
  readonly event?: string;
  /** The event's Sentinel message (`+sdown master mymaster 10.0.0.1 6379`). */
  readonly sentinel?: string;
  readonly error?: string;
  readonly [extra: string]: string | number | boolean | null | undefined;
}

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger adding `fields` to every line. */
  with(fields: LogFields): Logger;
}

export function jsonLogger(
  write: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
  base: LogFields = {},
  now: () => Date = () => new Date(),
): Logger {
  const log = (level: LogLevel, message: string, fields: LogFields = {}) => {
    const defined = Object.fromEntries(Object.entries({ ...base, ...fields }).filter(([, v]) => v !== undefined));
    write(JSON.stringify({ time: now().toISOString(), level, message, ...defined }));
  };
  return {
    log,
    info: (message, fields) => log('INFO', message, fields),
    warn: (message, fields) => log('WARN', message, fields),
    error: (message, fields) => log('ERROR', message, fields),
    with: (fields) => jsonLogger(write, { ...base, ...fields }, now),
  };
}

/** The line that says an event was published: its name, its Sentinel message, and whose view it is. */
export function eventFields(event: SentinelEvent): LogFields {
  return {
    event: event.type,
    sentinel: `${event.type} ${event.message}`,
    master: event.master,
    epoch: event.detail.epoch,
    execution: event.detail.execution,
    voter: event.detail.voter,
  };
}
