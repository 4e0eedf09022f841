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
  switch (command) {
    case 'failover': {
      const [name, ...extra] = rest;
      if (!name || extra.length > 0) throw new UsageError('usage: redis-failover failover <name> --config <file>');
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
