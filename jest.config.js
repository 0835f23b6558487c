/**
 * Three projects: unit tests (no local stack; may use in-process servers on 127.0.0.1),
 * integration tests (the real local stack), and fault tests (they freeze or restart servers of
 * the shared stack, so `make test` runs them on their own, one at a time, after the others).
 */
const transform = { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] };
/** Node's environment, with the pipeline's log and metric lines shown only for a failing test. */
const testEnvironment = '<rootDir>/test/helpers/quiet-environment.ts';

/** @type {import('jest').Config} */
module.exports = {
  // A global option (not per project): integration tests wait on real servers.
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment,
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment,
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      testPathIgnorePatterns: ['-faults\\.test\\.ts$'],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
    },
    {
      displayName: 'faults',
      testEnvironment,
      transform,
      testMatch: ['<rootDir>/test/integration/**/*-faults.test.ts'],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
    },
  ],
};
