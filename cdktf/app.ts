import { App } from 'cdktn';
import { environmentsFromEnv, overridesFromEnv, resolveStackProps } from './props';
import { ImagePipelineStack } from './stack';

/** Options of {@link synthesizeApp}. */
export interface SynthesizeOptions {
  /** Where the Terraform JSON goes. */
  outdir: string;
  /** Environment variables holding the `PIPELINE_*` inputs (the entry point passes `process.env`). */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Builds one stack per environment (`PIPELINE_ENVIRONMENTS`, default dev and prod) and writes
 * their Terraform JSON. Needs no AWS credentials and no network (apart from the one-time,
 * cached install of sharp's Linux binary).
 *
 * @returns the stack names written.
 * @throws InvalidParameterError for a bad input, BundlingError for a missing/broken handler.
 * @example
 * synthesizeApp({ outdir: 'cdktf.out', env: process.env });
 */
export function synthesizeApp(options: SynthesizeOptions): string[] {
  const app = new App({ outdir: options.outdir, skipValidation: false });
  const names: string[] = [];
  for (const environment of environmentsFromEnv(options.env)) {
    const name = `image-pipeline-${environment}`;
    new ImagePipelineStack(app, name, resolveStackProps(environment, overridesFromEnv(environment, options.env)));
    names.push(name);
  }
  app.synth();
  return names;
}
