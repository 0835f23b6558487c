/**
 * The jest test environment of every project: Node's, made quiet. The pipeline writes JSON log
 * lines and CloudWatch EMF metric lines (Powertools Logger and Metrics) straight to stdout and
 * stderr, past jest's console capture; in tests they would bury the test names and results.
 *
 * - Metrics: Powertools' own switch `POWERTOOLS_METRICS_DISABLED=true` (unless the run sets it),
 *   so no EMF line is written at all. A test about metrics sets it to `false` before it builds
 *   its telemetry.
 * - Everything else written to the process's stdout and stderr while a test file runs (log lines,
 *   the stream runner's lines) is held per test and printed only when that test, or a hook,
 *   fails; a passing test's output is dropped.
 *
 * Child processes a test starts (`ingest start`) write into pipes the test reads, not here; see
 * `ingest-process.ts`. Jest's own `console.*` capture is unchanged.
 */
import type { Circus } from '@jest/types';
import NodeEnvironment from 'jest-environment-node';

/** Output kept per test; beyond it the oldest is dropped (and counted). */
const MAX_HELD_CHARS = 2 * 1024 * 1024;

type Write = typeof process.stdout.write;

/** `describe › … › test` names of a circus test. */
function fullName(test: Circus.TestEntry): string {
  const names: string[] = [test.name];
  for (let block: Circus.DescribeBlock | undefined = test.parent; block !== undefined && block.parent !== undefined; block = block.parent) names.unshift(block.name);
  return names.join(' › ');
}

export default class QuietEnvironment extends NodeEnvironment {
  private held: string[] = [];
  private heldChars = 0;
  private droppedChars = 0;
  private readonly restores: (() => void)[] = [];
  private report: Write = process.stderr.write.bind(process.stderr);

  constructor(...args: ConstructorParameters<typeof NodeEnvironment>) {
    super(...args);
    // The test files' `process.env` is their own copy: this does not reach the jest process.
    this.global.process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  }

  override async setup(): Promise<void> {
    await super.setup();
    this.report = process.stderr.write.bind(process.stderr);
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write;
      stream.write = ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown) => {
        this.hold(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
        if (typeof done === 'function') process.nextTick(done as () => void);
        return true;
      }) as Write;
      this.restores.push(() => {
        stream.write = original;
      });
    }
  }

  override async teardown(): Promise<void> {
    for (const restore of this.restores.splice(0)) restore();
    this.discard();
    await super.teardown();
  }

  handleTestEvent(event: Circus.Event): void {
    if (event.name === 'test_done') {
      if (event.test.errors.length > 0) this.print(`the failed test "${fullName(event.test)}"`);
      else this.discard();
    } else if (event.name === 'hook_failure') {
      this.print(`the failed ${event.hook.type} hook`);
    }
  }

  private hold(text: string): void {
    this.held.push(text);
    this.heldChars += text.length;
    while (this.heldChars > MAX_HELD_CHARS && this.held.length > 1) {
      const oldest = this.held.shift() ?? '';
      this.heldChars -= oldest.length;
      this.droppedChars += oldest.length;
    }
  }

  private discard(): void {
    this.held = [];
    this.heldChars = 0;
    this.droppedChars = 0;
  }

  private print(what: string): void {
    if (this.held.length > 0) {
      const dropped = this.droppedChars > 0 ? ` (its first ${this.droppedChars} characters dropped)` : '';
      const text = this.held.join('');
      this.report(`\n── output of ${what}${dropped} ──\n${text}${text.endsWith('\n') ? '' : '\n'}── end of output ──\n`);
    }
    this.discard();
  }
}
