import { existsSync, readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DependencyError, PipelineError, invalidParameterError } from '../core/errors';
import { InstallError, PrerequisiteError, SERVICE_NAMES, ServiceStartError, StackSupervisor, stackEnvLines, stackStatus, stackUp, useLocalStack, type ServiceName } from './stack';
import { commands as extraCommands } from './commands';
import { RefusedInputError, refuseInput } from './commands/input-checks';

/** One `ingest` command: its usage text and what it does with its arguments. */
export interface Command {
  usage: string;
  summary: string;
  help: string;
  options?: ParseArgsConfig['options'];
  /**
   * How many words may follow the command name: `[min, max]`. More or fewer is a usage error
   * (exit 2) before the command runs, so a stray word never changes what runs.
   * @default [0, 0]
   */
  positionals?: readonly [min: number, max: number];
  run(args: { positionals: string[]; values: Record<string, string | boolean | undefined> }): Promise<number>;
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const err = (line: string): void => void process.stderr.write(`${line}\n`);

const stackCommands: Record<string, Command> = {
  'stack up': {
    usage: 'ingest stack up [--json]',
    summary: 'install (first time), start and bootstrap the local stack',
    help: 'Installs Kafka and moto on first use, starts whichever is not already answering, and creates the buckets, table, topics, SNS topic + SQS queue and secrets. Harmless when the stack is already up.',
    options: { json: { type: 'boolean' } },
    async run({ values }) {
      const config = useLocalStack();
      const { up, resources } = await stackUp(config, values.json ? () => undefined : out);
      if (values.json) out(JSON.stringify({ ...up, resources }, null, 2));
      else {
        out(`stack up: started [${up.started.join(', ')}], already running [${up.reused.join(', ')}]`);
        out(`development API key (customer "dev"): ${resources.devApiKey}`);
      }
      return 0;
    },
  },
  'stack down': {
    usage: 'ingest stack down',
    summary: 'stop the local servers this project started',
    help: 'Stops Kafka and the moto servers if they were started by `ingest stack up`. Harmless when nothing is running. Data under .local/ is kept.',
    async run() {
      const stopped = await new StackSupervisor(useLocalStack()).stop();
      out(stopped.length > 0 ? `stopped: ${stopped.join(', ')}` : 'nothing was running');
      return 0;
    },
  },
  'stack status': {
    usage: 'ingest stack status [--json]',
    summary: 'show each server, its endpoint, and the resource names',
    help: 'Prints each local server\'s state (running / external / stopped), endpoint and log file; every resource the bootstrap creates (buckets, table, Kafka topics, SNS topic, the notification, upload and URL import queues and the import DLQ, the API-key secret, the Cognito dev user pool and client, the Glue schema); and the URLs and ids of those that exist. Exit code 0 when every server answers, 3 otherwise.',
    options: { json: { type: 'boolean' } },
    async run({ values }) {
      const status = await stackStatus(useLocalStack());
      if (values.json) out(JSON.stringify(status, null, 2));
      else {
        for (const s of status.services) out(`${s.name.padEnd(9)} ${s.state.padEnd(8)} ${s.endpoint.padEnd(24)} ${s.standsInFor}  (log: ${s.logFile})`);
        out('\nthe bootstrap creates:');
        for (const r of status.created) out(`  ${r.service.padEnd(15)} ${r.name.padEnd(30)} ${r.purpose}`);
        out(JSON.stringify(status.resources, null, 2));
      }
      return status.services.every((s) => s.state !== 'stopped') ? 0 : 3;
    },
  },
  'stack logs': {
    usage: 'ingest stack logs [kafka|dynamodb|moto] [--lines N]',
    positionals: [0, SERVICE_NAMES.length],
    summary: 'print the last lines of the servers\' logs',
    help: 'Prints the last N lines (default 40) of one server\'s log, or of each.',
    options: { lines: { type: 'string' } },
    async run({ positionals, values }) {
      const supervisor = new StackSupervisor(useLocalStack());
      const names = positionals.length > 0 ? positionals : [...SERVICE_NAMES];
      const lines = refuseInput(() => {
        const unknown = names.find((name) => !(SERVICE_NAMES as readonly string[]).includes(name));
        if (unknown !== undefined) throw invalidParameterError('the service name', SERVICE_NAMES.join(' | '), unknown);
        const count = values.lines === undefined ? 40 : typeof values.lines === 'string' && /^[0-9]{1,6}$/.test(values.lines) ? Number(values.lines) : Number.NaN;
        if (!(count >= 1)) throw invalidParameterError('--lines', 'a whole number of lines from 1 to 999999', values.lines);
        return count;
      });
      for (const name of names) {
        const file = supervisor.logFileOf(name as ServiceName);
        out(`==> ${file} <==`);
        out(existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log yet)');
      }
      return 0;
    },
  },
  'stack env': {
    usage: 'ingest stack env',
    summary: 'print `export` lines that point AWS tools and Kafka clients at the stack',
    help: 'Prints shell export lines: AWS_ENDPOINT_URL_S3/_DYNAMODB/_SNS/_SQS/_SECRETS_MANAGER, region, dummy credentials, KAFKA_BROKERS, resource names and INGEST_API_KEY. Use: eval "$(npx ingest stack env)"',
    async run() {
      for (const line of stackEnvLines(useLocalStack())) out(line);
      return 0;
    },
  },
};

const allCommands: Record<string, Command> = { ...stackCommands, ...extraCommands };

function usage(): string {
  const width = Math.max(...Object.values(allCommands).map((c) => c.usage.length));
  return ['Usage: ingest <command> [options]', '', ...Object.values(allCommands).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`), '', 'Every command takes --help.'].join('\n');
}

/** A message for the user: what failed and what to do, never a stack trace. */
function describeFailure(error: unknown): string {
  if (error instanceof ServiceStartError) {
    const where = error.logFile ? `\n  log: ${error.logFile}` : '';
    const tail = error.logTail ? `\n  last lines:\n${error.logTail.split('\n').map((l) => `    ${l}`).join('\n')}` : '';
    return `error: ${error.message}${where}${tail}`;
  }
  if (error instanceof InstallError) return `error: ${error.message}\n${error.output}`;
  const kafkaConnection = kafkaConnectionFailure(error);
  if (kafkaConnection !== undefined) return `error: Kafka could not be reached (KAFKA_BROKERS): ${kafkaConnection} (\`ingest stack status\` shows whether the local servers are up)`;
  // A dependency that did not answer (refused, timed out) is most often a stand-in that is down.
  if (error instanceof DependencyError) return `error: ${error.message} (\`ingest stack status\` shows whether the local servers are up)`;
  if (error instanceof PrerequisiteError || error instanceof PipelineError) return `error: ${error.message}`;
  return `error: ${error instanceof Error ? error.message : String(error)}`;
}

/** The message of a kafkajs connection failure in `error` or its causes, else undefined. */
function kafkaConnectionFailure(error: unknown): string | undefined {
  // kafkajs' retrier wraps the connection error as `cause` (KafkaJSNumberOfRetriesExceeded).
  let e = error as { name?: string; message?: string; cause?: unknown } | undefined;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth += 1, e = e.cause as typeof e) {
    if (e.name === 'KafkaJSConnectionError') return e.message;
  }
  return undefined;
}

/**
 * Runs the `ingest` command line; resolves to the exit code: 0 done, 1 failed, 2 a usage error
 * or input refused before anything was sent ({@link RefusedInputError}), 3 from `stack status`
 * when a server is down.
 */
export async function main(argv: string[]): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const name = [words.slice(0, 2).join(' '), words[0] ?? ''].find((candidate) => candidate in allCommands);
  if (name === undefined) {
    const wantsHelp = argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help';
    (wantsHelp ? out : err)(wantsHelp ? usage() : `unknown command: ${argv.join(' ')}\n\n${usage()}`);
    return wantsHelp ? 0 : 2;
  }
  const command = allCommands[name] as Command;
  const rest = argv.slice(argv.indexOf(words[name.split(' ').length - 1] as string) + 1);
  if (rest.includes('--help') || rest.includes('-h')) {
    out(`Usage: ${command.usage}\n\n${command.help}`);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
  } catch (error) {
    err(`error: ${describeParseError(error, command)}\nUsage: ${command.usage}`);
    return 2;
  }
  const [min, max] = command.positionals ?? [0, 0];
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    const what = parsed.positionals.length > max ? `unexpected argument${parsed.positionals.length - max > 1 ? 's' : ''}: ${parsed.positionals.slice(max).join(' ')}` : 'missing argument';
    err(`error: ${what}\nUsage: ${command.usage}`);
    return 2;
  }
  try {
    return await command.run({ positionals: parsed.positionals, values: parsed.values as Record<string, string | boolean | undefined> });
  } catch (error) {
    err(describeFailure(error));
    // Input refused before anything was sent exits like a usage error; everything else is a failure.
    return error instanceof RefusedInputError ? 2 : 1;
  }
}

/**
 * `util.parseArgs`' refusal in the CLI's words. Its unknown-option message ends with advice about
 * positionals and an unbalanced quote (`as in '-- "--dryrun"`); the user needs the option named and
 * the ones the command takes.
 */
function describeParseError(error: unknown, command: Command): string {
  const { code, message } = error as { code?: string; message: string };
  if (code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return message;
  const option = /^Unknown option '([^']*)'/.exec(message)?.[1] ?? 'given';
  const known = Object.keys(command.options ?? {}).map((name) => `--${name}`);
  return `unknown option ${option}; ${known.length === 0 ? 'this command takes no options' : `this command takes ${known.join(', ')}`} (and --help)`;
}
