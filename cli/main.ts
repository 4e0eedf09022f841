/**
 * The `redis-failover` command line: parse, dispatch, and turn known errors into one line and an
 * exit status. Each command is loaded when it runs: `--help` or a refused option needs none of
 * the runtime (dynalite, the workflow engine, the SDK), and answers in a fraction of the time.
 */
import { parseArgs } from 'node:util';
import { SENTINEL_PORT } from '../local/ports.ts';
import { EXIT, exitStatusOf } from './errors.ts';
import { HELP } from './help.ts';
import { UsageError } from '../lambdas/core/errors.ts';
import type { OperatorRequest } from '../lambdas/runtime/operator.ts';

export async function main(argv: readonly string[]): Promise<number> {
  // The benchmark has options of its own.
  if (argv[0] === 'bench') return (await benchCommand()).benchCommand(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      'events-file': { type: 'string' },
      'no-timestamps': { type: 'boolean' },
      coordinated: { type: 'boolean' },
      port: { type: 'string', short: 'p' },
      'password-env': { type: 'string' },
      'log-format': { type: 'string' },
      for: { type: 'string' },
      reason: { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      function: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined && !values.help ? EXIT.usage : EXIT.ok;
  }
  const output = { eventsFile: values['events-file'], timestamps: !values['no-timestamps'] };
  const port = portOption(values.port);
  const password = passwordFrom(values['password-env']);
  const operator = (request: OperatorRequest) =>
    operatorCommand().then(({ operatorCommand: run }) =>
      run({
        request,
        json: values.json === true,
        port,
        ...(password && { password }),
        ...(values.function !== undefined && { functionName: values.function }),
        ...(values.config !== undefined && { configPath: values.config }),
        ...(values['events-file'] !== undefined && { eventsFile: values['events-file'] }),
      }),
    );
  switch (command) {
    case 'pause': {
      const master = oneMasterOrAll(rest, values.all, 'pause <name> | --all --for <duration> --reason "…"');
      if (values.for === undefined || values.reason === undefined) throw new UsageError('pause needs --for <duration> (e.g. 30m) and --reason "…"');
      return operator({ action: 'pause', master, forMs: durationOption(values.for), reason: values.reason });
    }
    case 'resume':
      return operator({ action: 'resume', master: oneMasterOrAll(rest, values.all, 'resume <name> | --all') });
    case 'status': {
      if (rest.length > 1) throw new UsageError('usage: redis-failover status [<name>]');
      return operator({ action: 'status', master: rest[0] ?? '*' });
    }
    case 'history': {
      if (rest.length > 1) throw new UsageError('usage: redis-failover history [<name>] [--limit <n>]');
      const limit = values.limit === undefined ? undefined : limitOption(values.limit);
      return operator({ action: 'history', master: rest[0] ?? '*', ...(limit !== undefined && { limit }) });
    }
    case 'get-master-addr': {
      const [name, ...extra] = rest;
      if (!name || extra.length > 0) throw new UsageError('usage: redis-failover get-master-addr <name>');
      return operator({ action: 'get-master-addr', master: name });
    }
    case 'failover': {
      const [name, ...extra] = rest;
      if (!name || extra.length > 0) throw new UsageError('usage: redis-failover failover <name> --config <file>');
      // A deployed stack: its request function takes the lease and starts the workflow there.
      if (values.function !== undefined) return operator({ action: 'failover', master: name, coordinated: values.coordinated === true });
      if (!values.config) throw new UsageError('failover needs --config <file>');
      const { failoverCommand } = await withLocalEngines(() => import('./failover-command.ts'));
      return failoverCommand({ name, configPath: values.config, coordinated: values.coordinated === true, port, ...(password && { password }), ...output });
    }
    case 'local': {
      if (rest.length > 0) throw new UsageError('usage: redis-failover local --config <file>');
      if (!values.config) throw new UsageError('local needs --config <file>');
      const { localCommand } = await withLocalEngines(() => import('./local-command.ts'));
      return localCommand({ configPath: values.config, port, ...(password && { password }), ...output, logFormat: logFormatOption(values['log-format']) });
    }
    case 'demo':
      if (rest.length > 0) throw new UsageError('usage: redis-failover demo');
      return (await withLocalEngines(() => import('./demo-command.ts'))).demoCommand(output);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)} (try redis-failover --help)`);
  }
}

/** The local runtime's engines: optional peer dependencies of the package, which installing the construct leaves out. */
const LOCAL_ENGINES = ['dynalite', 'aws-local-stepfunctions'] as const;

function withLocalEngines<T>(load: () => Promise<T>): Promise<T> {
  const message = `the local runtime needs ${LOCAL_ENGINES.join(' and ')}, which installing the construct leaves out: npm install ${LOCAL_ENGINES.join(' ')}`;
  return loadOr(
    load,
    LOCAL_ENGINES.map((name) => `'${name}'`),
    message,
  );
}

/** Loads a command's module; when what it needs is not installed, a one-line UsageError that says what to do. */
async function loadOr<T>(load: () => Promise<T>, missingNames: readonly string[], message: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const missing =
      (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && missingNames.some((name) => String((error as Error).message).includes(name));
    if (missing) throw new UsageError(message);
    throw error;
  }
}

/**
 * The benchmark needs the simulation and the test tools, which only a checkout has: the package
 * build leaves it out (tsconfig.build.json), so it is loaded by a path the compiler does not follow.
 */
function benchCommand(): Promise<{ benchCommand(argv: readonly string[]): Promise<number> }> {
  const file = './bench-command.ts';
  return loadOr(
    () => import(file) as Promise<{ benchCommand(argv: readonly string[]): Promise<number> }>,
    ['bench-command'],
    'bench runs from a checkout of the repository (it needs the simulation and the test tools, which the package leaves out)',
  );
}

/** The command line's operator requests need only the SDK and ioredis: no local engine is loaded for --function. */
function operatorCommand(): Promise<typeof import('./operator-command.ts')> {
  return import('./operator-command.ts');
}

function oneMasterOrAll(rest: readonly string[], all: boolean | undefined, usage: string): string {
  if (all && rest.length === 0) return '*';
  if (!all && rest.length === 1 && rest[0] !== '*') return rest[0]!;
  throw new UsageError(`usage: redis-failover ${usage}`);
}

/** `90s`, `30m`, `2h`, `1d` (or `500ms`) in milliseconds. */
function durationOption(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!match) throw new UsageError(`--for must be a duration such as 90s, 30m, 2h or 1d (got ${JSON.stringify(value)})`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

function limitOption(value: string): number {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > 100) throw new UsageError(`--limit must be a whole number from 1 to 100 (got ${JSON.stringify(value)})`);
  return limit;
}

function logFormatOption(value: string | undefined): 'text' | 'json' {
  if (value === undefined || value === 'text' || value === 'json') return value ?? 'text';
  throw new UsageError(`--log-format must be text or json (got ${JSON.stringify(value)})`);
}

/** Errors a user can act on get one line and their exit status (cli/errors.ts); anything else is a bug and keeps its stack. */
export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    const status = isParseArgsError(error) ? EXIT.usage : exitStatusOf(error);
    if (status === undefined) throw error;
    process.stderr.write(`redis-failover: ${(error as Error).message}\n`);
    process.exitCode = status;
  }
}

/** The port's password, from the environment variable named (never the command line, which `ps` shows). */
function passwordFrom(variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const value = process.env[variable];
  if (value === undefined || value === '') throw new UsageError(`--password-env: environment variable ${JSON.stringify(variable)} is not set or empty`);
  return value;
}

function portOption(value: string | undefined): number {
  if (value === undefined) return SENTINEL_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new UsageError(`--port must be a port number from 1 to 65535 (got ${JSON.stringify(value)})`);
  return port;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
