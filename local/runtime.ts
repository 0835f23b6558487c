/** One long-running part of the local pipeline runtime (REST adapter, upload poller, stream runner). */
export interface RuntimeComponent {
  name: string;
  /** Starts the component; resolves once it serves, with a line saying where. */
  start(): Promise<{ description: string; stop(): Promise<void> }>;
}

/**
 * Starts the components in order and returns one `stop` that stops them in reverse order.
 * If one fails to start, the ones already started are stopped before the error is rethrown.
 */
export async function startRuntime(components: RuntimeComponent[], log: (line: string) => void): Promise<() => Promise<void>> {
  const running: { name: string; stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const component of running.reverse()) {
      await component.stop().catch((error: unknown) => log(`${component.name} did not stop cleanly: ${(error as Error).message}`));
    }
    running.length = 0;
  };
  try {
    for (const component of components) {
      const started = await component.start();
      running.push({ name: component.name, stop: started.stop });
      log(`${component.name}: ${started.description}`);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
