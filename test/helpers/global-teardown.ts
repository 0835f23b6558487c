import { loadConfig } from '../../core/config';
import { StackSupervisor, type ServiceName } from '../../local/stack';

/** Stops the servers the global setup started; servers that were already running stay up. */
export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as { __stackStarted?: ServiceName[] }).__stackStarted ?? [];
  if (started.length > 0) await new StackSupervisor(loadConfig()).stop(started);
}
