/**
 * What a running component says about itself for the readiness route: `ready` is false while it
 * cannot do its work (e.g. a stream runner restarting or stopped); the rest is detail.
 */
export interface ComponentHealth {
  ready: boolean;
  state: string;
  [detail: string]: unknown;
}

/** One long-running part of the local pipeline runtime (REST adapter, upload poller, stream runner). */
export interface RuntimeComponent {
  name: string;
  /**
   * Starts the component; resolves once it serves, with a line saying where. A component whose
   * start can take long (the stream runner's first join, with its retries) gives up when
   * `signal` aborts, rejecting with {@link StartInterruptedError}.
   */
  start(signal?: AbortSignal): Promise<{ description: string; stop(): Promise<void>; health?: () => Promise<ComponentHealth> }>;
}

/** A start that was given up because the runtime was asked to stop (Ctrl-C) before it finished. */
export class StartInterruptedError extends Error {
  constructor(what: string) {
    super(`${what} was interrupted before it started`);
    this.name = 'StartInterruptedError';
  }
}

/**
 * Collects the health reporters of started components, so the REST adapter (started first) can
 * answer for components started after it.
 */
export class RuntimeHealth {
  private readonly reporters = new Map<string, () => Promise<ComponentHealth>>();

  /** Adds (or replaces) the reporter of component `name`. */
  register(name: string, report: () => Promise<ComponentHealth>): void {
    this.reporters.set(name, report);
  }

  /** Reports `name` as not ready, state `starting`, until it is registered or forgotten. */
  starting(name: string): void {
    this.reporters.set(name, () => Promise.resolve({ ready: false, state: 'starting' }));
  }

  /** Drops the reporter of `name` (a component that started and reports no health of its own). */
  forget(name: string): void {
    this.reporters.delete(name);
  }

  /** Every registered component's health; `ready` only when all of them are. A reporter that throws counts as not ready. */
  async report(): Promise<{ ready: boolean; components: Record<string, ComponentHealth> }> {
    const entries = await Promise.all(
      [...this.reporters].map(async ([name, report]) => {
        const health = await report().catch((error: unknown): ComponentHealth => ({ ready: false, state: 'unknown', error: (error as Error).message }));
        return [name, health] as const;
      }),
    );
    return { ready: entries.every(([, h]) => h.ready), components: Object.fromEntries(entries) };
  }
}

/**
 * Starts the components in order and returns one `stop` that stops them in reverse order.
 * If one fails to start, or `signal` aborts first, the ones already started are stopped before
 * the error ({@link StartInterruptedError} for the abort) is rethrown. With `health`, every
 * component reads `starting` (not ready) until it has started; then it reports its own health,
 * or nothing when it has none.
 */
export async function startRuntime(components: RuntimeComponent[], log: (line: string) => void, health?: RuntimeHealth, signal?: AbortSignal): Promise<() => Promise<void>> {
  const running: { name: string; stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const component of running.reverse()) {
      await component.stop().catch((error: unknown) => log(`${component.name} did not stop cleanly: ${(error as Error).message}`));
    }
    running.length = 0;
  };
  for (const component of components) health?.starting(component.name);
  try {
    for (const component of components) {
      if (signal?.aborted === true) throw new StartInterruptedError(component.name);
      const started = await component.start(signal);
      running.push({ name: component.name, stop: started.stop });
      if (started.health !== undefined) health?.register(component.name, started.health);
      else health?.forget(component.name);
      log(`${component.name}: ${started.description}`);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
