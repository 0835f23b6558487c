import { stackUp, useLocalStack, userPoolEnvironment } from '../../local/stack';

/**
 * Brings the local stack up once for the integration project (reusing servers that are already
 * running) and points every test worker at it through the environment they inherit.
 * The teardown stops only what this run started, so tests leave the stack as they found it.
 */
export default async function globalSetup(): Promise<void> {
  // Pipeline logs are JSON lines on stdout; in tests only errors are worth reading.
  process.env.LOG_LEVEL ??= 'ERROR';
  const config = useLocalStack();
  const started = Date.now();
  const { up, resources } = await stackUp(config, (line) => process.stderr.write(`[stack] ${line}\n`));
  // The dev user pool's ids exist only once the bootstrap ran (moto picks them): workers inherit them.
  useLocalStack(userPoolEnvironment(resources.userPool));
  process.stderr.write(`[stack] ready in ${((Date.now() - started) / 1000).toFixed(1)} s (started: ${up.started.join(', ') || 'none'})\n`);
  (globalThis as { __stackStarted?: string[] }).__stackStarted = up.started;
}
