import type { Config } from '../../core/config';
import type { RuntimeComponent } from '../runtime';

/** The parts of the pipeline that `ingest start` runs beside the stack. */
export function runtimeComponents(_config: Config): RuntimeComponent[] {
  return [];
}
