import { spawnSync } from 'node:child_process';

/** A tool the local stack needs is missing; the message is one line saying what to install. */
export class PrerequisiteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrerequisiteError';
  }
}

function versionOutput(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) return undefined;
  return `${result.stdout}\n${result.stderr}`;
}

/**
 * Checks for Java 17+, Maven and Python 3.9+ with the venv module.
 * @throws PrerequisiteError naming the first missing tool and what to install.
 */
export function checkPrerequisites(): void {
  const java = versionOutput('java', ['-version']);
  if (java === undefined) throw new PrerequisiteError('java not found: install a Java 17+ runtime (e.g. the openjdk-17-jre-headless package)');
  const major = /version "(\d+)/.exec(java)?.[1];
  if (major === undefined || Number(major) < 17) throw new PrerequisiteError(`java 17+ is required, found: ${java.split('\n')[0]?.trim()}`);

  if (versionOutput('mvn', ['-v']) === undefined) throw new PrerequisiteError('mvn not found: install Apache Maven 3.6+ (e.g. the maven package)');

  const python = versionOutput('python3', ['--version']);
  if (python === undefined) throw new PrerequisiteError('python3 not found: install Python 3.9+ (e.g. the python3 and python3-venv packages)');
  const [, pyMajor, pyMinor] = /Python (\d+)\.(\d+)/.exec(python) ?? [];
  if (Number(pyMajor) !== 3 || Number(pyMinor) < 9) throw new PrerequisiteError(`python 3.9+ is required, found: ${python.trim()}`);
  if (versionOutput('python3', ['-c', 'import venv, ensurepip']) === undefined) {
    throw new PrerequisiteError('python3 has no venv/ensurepip module: install python3-venv');
  }
}
