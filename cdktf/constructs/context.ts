import type { PipelineStackProps } from '../props';

/** What every construct of the stack needs: the props plus account-level facts resolved at plan time. */
export interface StackContext {
  props: PipelineStackProps;
  /** `${data.aws_caller_identity.account_id}`: no credentials needed at synth. */
  accountId: string;
  /** `${data.aws_partition.partition}` (aws, aws-cn, aws-us-gov). */
  partition: string;
  region: string;
}
