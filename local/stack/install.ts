import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackPaths } from './paths';

/** Installing part of the stack failed; `output` holds the tool's last lines. */
export class InstallError extends Error {
  constructor(message: string, readonly output: string) {
    super(message);
    this.name = 'InstallError';
  }
}

type Log = (line: string) => void;

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => reject(new InstallError(`${command} could not start: ${error.message}`, output)));
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new InstallError(`${command} ${args.join(' ')} exited with ${code}`, output.split('\n').slice(-25).join('\n'))),
    );
  });
}

function fingerprint(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * Runs `install` unless `dir` holds a marker matching `stamp`; a changed stamp (an edited pom or
 * requirements file) reinstalls from scratch.
 */
async function installOnce(dir: string, stamp: string, install: () => Promise<void>): Promise<boolean> {
  const marker = join(dir, '.installed');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === stamp) return false;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await install();
  writeFileSync(marker, stamp);
  return true;
}

/**
 * Installs Kafka (Maven Central, via `mvn dependency:copy-dependencies`) and moto (PyPI, in a
 * virtualenv; it serves DynamoDB too) into the git-ignored stack folder, each only once.
 *
 * @throws InstallError with the failing tool's output.
 */
export async function installStack(paths: StackPaths, log: Log): Promise<void> {
  const pom = join(paths.javaSources, 'pom.xml');
  const pomStamp = fingerprint(pom);
  const installedKafka = await installOnce(paths.kafkaLib, pomStamp, async () => {
    log(`installing kafka from Maven Central into ${paths.kafkaLib} …`);
    await run('mvn', ['-q', '-B', '-f', pom, '-Pkafka', 'dependency:copy-dependencies', `-DoutputDirectory=${paths.kafkaLib}`, '-DincludeScope=runtime'], paths.root);
  });
  if (installedKafka) log('installed kafka');

  const requirements = join(paths.root, 'local', 'python', 'requirements.txt');
  const installed = await installOnce(paths.motoVenv, fingerprint(requirements), async () => {
    log(`installing moto into ${paths.motoVenv} …`);
    await run('python3', ['-m', 'venv', paths.motoVenv], paths.root);
    await run(join(paths.motoVenv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', requirements], paths.root);
  });
  if (installed) log('installed moto');
}
