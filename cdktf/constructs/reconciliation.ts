import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import { SchedulerSchedule } from '@cdktn/provider-aws/lib/scheduler-schedule';
import type { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic';
import { RECONCILE_METRICS, RECONCILER_SERVICE } from '../../core/reconciler';
import { assumeRolePolicy, policyDocument } from '../iam';
import type { PipelineFunction } from './compute';
import type { StackContext } from './context';

/** The CloudWatch namespace (createTelemetry's default) and `service` dimension of the reconciler's EMF lines. */
export const RECONCILER_METRIC_SOURCE = { namespace: 'ImagePipeline', service: RECONCILER_SERVICE } as const;

/** What the schedule invokes and where the alarm goes. */
export interface ReconciliationTargets {
  reconciler: PipelineFunction;
  alarmTopic: SnsTopic;
}

const ONE_HOUR = 3600;

/**
 * The reconciler's schedule and alarm: EventBridge Scheduler invokes the reconciler Lambda on
 * `reconcile.scheduleExpression` through a role that may invoke only that function (and that
 * only the scheduler of this account may assume); an alarm fires when, over an hour, the
 * reconciler had to repair anything (recovered, failed-abandoned or notified-late > 0), since
 * each means a path dropped work it should have finished.
 */
export class Reconciliation extends Construct {
  readonly schedule: SchedulerSchedule;
  readonly schedulerRole: IamRole;
  readonly alarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, ctx: StackContext, t: ReconciliationTargets) {
    super(scope, id);
    const { props } = ctx;
    const prefix = `image-pipeline-${props.environment}`;

    this.schedulerRole = new IamRole(this, 'scheduler-role', {
      name: `${prefix}-reconcile-scheduler-${ctx.region}`,
      // Confused-deputy guard: only EventBridge Scheduler acting for this account.
      assumeRolePolicy: assumeRolePolicy('scheduler.amazonaws.com', { StringEquals: { 'aws:SourceAccount': ctx.accountId } }),
      tags: props.tags,
    });
    const policy = new IamRolePolicy(this, 'scheduler-policy', {
      role: this.schedulerRole.id,
      name: 'invoke-reconciler',
      policy: policyDocument([{ sid: 'InvokeReconciler', actions: ['lambda:InvokeFunction'], resources: [t.reconciler.fn.arn] }]),
    });

    this.schedule = new SchedulerSchedule(this, 'schedule', {
      name: `${prefix}-reconcile`,
      description: 'Finishes records left RECEIVED and announces final records never notified',
      scheduleExpression: props.reconcile.scheduleExpression,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: t.reconciler.fn.arn,
        roleArn: this.schedulerRole.arn,
        input: '{}',
        // A missed pass is covered by the next one; retrying a pass only overlaps it.
        retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
      },
      dependsOn: [policy],
    });

    const metric = (queryId: string, metricName: string) => ({
      id: queryId,
      returnData: false,
      metric: { namespace: RECONCILER_METRIC_SOURCE.namespace, metricName, period: ONE_HOUR, stat: 'Sum', dimensions: { service: RECONCILER_METRIC_SOURCE.service } },
    });
    this.alarm = new CloudwatchMetricAlarm(this, 'repairs', {
      alarmName: `${prefix}-reconciler-repairs`,
      alarmDescription: 'The reconciler finished, failed or announced records that the pipeline left unfinished in the last hour',
      metricQuery: [
        metric('recovered', RECONCILE_METRICS.recovered),
        metric('abandoned', RECONCILE_METRICS.failedAbandoned),
        metric('late', RECONCILE_METRICS.notifiedLate),
        { id: 'repairs', expression: 'recovered + abandoned + late', label: 'records repaired by the reconciler', returnData: true },
      ],
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [t.alarmTopic.arn],
      okActions: [t.alarmTopic.arn],
    });
  }
}
