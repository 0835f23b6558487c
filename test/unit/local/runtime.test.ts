/**
 * The local runtime's start-up (`startRuntime`, `RuntimeHealth`): readiness says `starting` for
 * every component until it has started (a stream runner still joining is not ready), and an
 * abort during start-up (Ctrl-C) stops what has started and rejects with StartInterruptedError.
 * The components are stand-ins; `ingest start` with the real ones is in
 * test/integration/cli-start-runner.test.ts.
 */
import { RuntimeHealth, StartInterruptedError, startRuntime, type RuntimeComponent } from '../../../local/runtime';

/** A component whose start the test finishes by hand, recording its stop. */
function manualComponent(name: string, withHealth: boolean, events: string[]) {
  let finish: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const component: RuntimeComponent = {
    name,
    start: (signal) =>
      new Promise((resolve, reject) => {
        fail = reject;
        signal?.addEventListener('abort', () => reject(new StartInterruptedError(name)), { once: true });
        finish = () =>
          resolve({
            description: `${name} up`,
            stop: async () => void events.push(`stop ${name}`),
            ...(withHealth ? { health: async () => ({ ready: true, state: 'consuming' }) } : {}),
          });
      }),
  };
  return { component, finish: () => finish(), fail: (error: Error) => fail(error) };
}

/** A component that starts at once, running `onStart` first, and records its stop. */
function immediateComponent(name: string, events: string[], onStart: () => void = () => undefined): RuntimeComponent {
  return {
    name,
    start: async () => {
      onStart();
      return { description: name, stop: async () => void events.push(`stop ${name}`) };
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

it('reports every component as starting, not ready, until it has started; then its own health, or nothing when it has none', async () => {
  const events: string[] = [];
  const api = manualComponent('rest-api', false, events);
  const runner = manualComponent('stream-runner', true, events);
  const health = new RuntimeHealth();
  const starting = startRuntime([api.component, runner.component], () => undefined, health);
  await tick();
  expect(await health.report()).toEqual({ ready: false, components: { 'rest-api': { ready: false, state: 'starting' }, 'stream-runner': { ready: false, state: 'starting' } } });
  api.finish();
  await tick();
  expect(await health.report()).toEqual({ ready: false, components: { 'stream-runner': { ready: false, state: 'starting' } } });
  runner.finish();
  const stop = await starting;
  expect(await health.report()).toEqual({ ready: true, components: { 'stream-runner': { ready: true, state: 'consuming' } } });
  await stop();
  expect(events).toEqual(['stop stream-runner', 'stop rest-api']);
});

it('an abort while a component starts stops the ones already started and rejects with StartInterruptedError; later ones never start', async () => {
  const events: string[] = [];
  const api = manualComponent('rest-api', false, events);
  const runner = manualComponent('stream-runner', true, events);
  let lateStarted = false;
  const late = immediateComponent('dashboard', events, () => {
    lateStarted = true;
  });
  const interrupted = new AbortController();
  const starting = startRuntime([api.component, runner.component, late], () => undefined, new RuntimeHealth(), interrupted.signal);
  api.finish();
  await tick();
  interrupted.abort();
  await expect(starting).rejects.toThrow(new StartInterruptedError('stream-runner'));
  expect(events).toEqual(['stop rest-api']);
  expect(lateStarted).toBe(false);
});

it('an abort between components starts no further component', async () => {
  const events: string[] = [];
  const interrupted = new AbortController();
  const first = immediateComponent('rest-api', events, () => interrupted.abort());
  let secondStarted = false;
  const second = immediateComponent('stream-runner', events, () => {
    secondStarted = true;
  });
  await expect(startRuntime([first, second], () => undefined, undefined, interrupted.signal)).rejects.toBeInstanceOf(StartInterruptedError);
  expect(secondStarted).toBe(false);
  expect(events).toEqual(['stop rest-api']);
});

it('a component that fails to start stops the ones before it and its error is rethrown', async () => {
  const events: string[] = [];
  const api = manualComponent('rest-api', false, events);
  const runner = manualComponent('stream-runner', true, events);
  const health = new RuntimeHealth();
  const starting = startRuntime([api.component, runner.component], () => undefined, health);
  api.finish();
  await tick();
  runner.fail(new Error('could not join'));
  await expect(starting).rejects.toThrow('could not join');
  expect(events).toEqual(['stop rest-api']);
});
