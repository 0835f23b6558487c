/**
 * The `ingest` command line refuses a wrong number of words after a command before the command
 * runs (exit 2 with the usage), so a stray word never turns a dry run into a real one or a
 * second customer id into a silent no-op. No command here reaches a server: each is refused first.
 */
import { runIngest } from '../../helpers/ingest-cli';

describe('ingest: words after a command', () => {
  it.each([
    [['reconcile', 'now'], 'unexpected argument: now', 'ingest reconcile [--dry-run]'],
    [['reconcile', '--dry-run', 'now'], 'unexpected argument: now', 'ingest reconcile [--dry-run]'],
    [['keys', 'create', 'a', 'b'], 'unexpected argument: b', 'ingest keys create <customerId>'],
    [['upload', 'one.jpg', 'two.jpg'], 'unexpected argument: two.jpg', 'ingest upload <file>'],
    [['publish', 'one.jpg', 'two.jpg', 'three.jpg'], 'unexpected arguments: two.jpg three.jpg', 'ingest publish'],
    [['stack', 'down', 'now'], 'unexpected argument: now', 'ingest stack down'],
    [['start', 'please'], 'unexpected argument: please', 'ingest start'],
  ])('%j is refused with exit 2 and the usage', async (argv, message, usage) => {
    const { code, stderr } = await runIngest(argv);
    expect(code).toBe(2);
    expect(stderr).toContain(`error: ${message}`);
    expect(stderr).toContain(`Usage: ${usage}`);
  });

  it.each([
    [['keys', 'create'], 'ingest keys create <customerId>'],
    [['upload'], 'ingest upload <file>'],
  ])('%j (a required word missing) is refused with exit 2 and the usage', async (argv, usage) => {
    const { code, stderr } = await runIngest(argv);
    expect(code).toBe(2);
    expect(stderr).toContain('error: missing argument');
    expect(stderr).toContain(`Usage: ${usage}`);
  });

  it.each([
    [['reconcile', '--dryrun'], 'error: unknown option --dryrun; this command takes --dry-run (and --help)\n'],
    [['start', '--verbose'], 'error: unknown option --verbose; this command takes no options (and --help)\n'],
    [['upload', 'a.jpg', '-p'], 'error: unknown option -p; this command takes --presigned, --api, --key (and --help)\n'],
  ])('%j: an unknown option exits 2 naming it and the options the command takes', async (argv, firstLine) => {
    const { code, stderr } = await runIngest(argv);
    expect(code).toBe(2);
    expect(stderr.slice(0, stderr.indexOf('\n') + 1)).toBe(firstLine);
  });

  it('stack logs takes up to one word per server, and refuses more', async () => {
    const { code, stderr } = await runIngest(['stack', 'logs', 'kafka', 'dynamodb', 'moto', 'kafka']);
    expect(code).toBe(2);
    expect(stderr).toContain('error: unexpected argument: kafka');
  });

  it.each([
    [['stack', 'logs', 'kafak'], 'Expected kafka | dynamodb | moto for the service name but received "kafak"'],
    [['stack', 'logs', '--lines', 'ten'], 'Expected a whole number of lines from 1 to 999999 for --lines but received "ten"'],
    [['stack', 'logs', '--lines', '0'], 'Expected a whole number of lines from 1 to 999999 for --lines but received "0"'],
  ])('%j: a bad value exits 2 naming it, as every command\'s refusals do', async (argv, message) => {
    const { code, stderr } = await runIngest(argv);
    expect(code).toBe(2);
    expect(stderr).toContain(`error: ${message}`);
  });
});
