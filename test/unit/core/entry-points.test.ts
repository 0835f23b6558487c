/**
 * `core` (config, errors, ports, keys) must not load sharp; only the composition root
 * `core/runtime` (the pipeline) does. sharp is replaced by a module that throws when loaded, so
 * the first case fails the moment anything under `core/index.ts` reaches the image code.
 */
function loadsSharp(modulePath: string): boolean {
  let loaded = false;
  jest.isolateModules(() => {
    jest.doMock('sharp', () => {
      loaded = true;
      // Any property is a no-op function, so module-level set-up (sharp.cache(...)) still runs.
      return new Proxy(function sharp() {}, { get: (_target, prop) => (prop === '__esModule' ? undefined : () => undefined) });
    });
    require(modulePath);
  });
  return loaded;
}

describe('core entry points', () => {
  it('importing core (config, errors, keys) does not load sharp', () => {
    expect(loadsSharp('../../../core')).toBe(false);
  });

  it('importing core/runtime (the pipeline) loads sharp', () => {
    expect(loadsSharp('../../../core/runtime')).toBe(true);
  });
});
