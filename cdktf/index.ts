/**
 * The infrastructure app's public surface: the stack, its props, and the synth entry used by
 * `cdktf/main.ts`. Constructs stay internal to the folder.
 */
export { synthesizeApp, type SynthesizeOptions } from './app';
export { ImagePipelineStack } from './stack';
export {
  defaultNames,
  environmentsFromEnv,
  INFRA_ENV,
  overridesFromEnv,
  resolveStackProps,
  validateStackProps,
  type FunctionSizing,
  type LambdaArchitecture,
  type PipelineNames,
  type PipelineStackOverrides,
  type PipelineStackProps,
  type StartingPosition,
} from './props';
export { bundleLambda, BundlingError, LAMBDA_ENTRIES, type Bundle, type BundleOptions, type LambdaName } from './bundling';
