import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktn';
import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { MskCluster } from '@cdktn/provider-aws/lib/msk-cluster';
import { MskConfiguration } from '@cdktn/provider-aws/lib/msk-configuration';
import { MskSingleScramSecretAssociation } from '@cdktn/provider-aws/lib/msk-single-scram-secret-association';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import type { SecretsmanagerSecret } from '@cdktn/provider-aws/lib/secretsmanager-secret';
import type { PipelineStackProps } from '../props';
import type { StackContext } from './context';
import type { Network } from './network';

/**
 * Broker settings that never lose an acknowledged write (with producers using acks=all) and
 * never let an unknown principal or a typo'd topic name in.
 */
export const MSK_SERVER_PROPERTIES = {
  'default.replication.factor': '3',
  'min.insync.replicas': '2',
  'unclean.leader.election.enable': 'false',
  'allow.everyone.if.no.acl.found': 'false',
  'auto.create.topics.enable': 'false',
} as const;

/** One Kafka topic the pipeline needs, with its settings. */
export interface KafkaTopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
}

/**
 * The topics to create once per cluster (a documented admin step, not Terraform: the brokers sit
 * in private subnets that the machine running Terraform cannot reach; see docs/aws-deployment.md).
 */
export function kafkaTopicPlan(props: PipelineStackProps): KafkaTopicSpec[] {
  const day = 24 * 60 * 60 * 1000;
  return [
    {
      name: props.names.imageTopic,
      partitions: props.msk.imageTopicPartitions,
      replicationFactor: 3,
      config: { 'min.insync.replicas': '2', 'retention.ms': String(7 * day) },
    },
    {
      name: props.names.deadLetterTopic,
      partitions: props.msk.deadLetterTopicPartitions,
      replicationFactor: 3,
      config: { 'min.insync.replicas': '2', 'retention.ms': String(props.storage.failedBatchRetentionDays * day) },
    },
  ];
}

/**
 * The one-off admin commands (topics, then ACLs for the SCRAM user), run from a host in the VPC
 * with IAM auth: IAM principals are authorised by IAM, so they work while
 * `allow.everyone.if.no.acl.found=false` locks out every SCRAM user without ACLs.
 */
export function kafkaAdminCommands(props: PipelineStackProps): string {
  const bootstrap = '"$BOOTSTRAP_IAM"';
  const cfg = '--command-config client-iam.properties';
  const user = `User:${props.names.kafkaUsername}`;
  const topics = kafkaTopicPlan(props).map((t) => {
    const configs = Object.entries(t.config).map(([k, v]) => `--config ${k}=${v}`).join(' ');
    return `kafka-topics.sh --bootstrap-server ${bootstrap} ${cfg} --create --if-not-exists --topic ${t.name} --partitions ${t.partitions} --replication-factor ${t.replicationFactor} ${configs}`;
  });
  const acls = [
    `kafka-acls.sh --bootstrap-server ${bootstrap} ${cfg} --add --allow-principal ${user} --operation Read --operation Describe --topic ${props.names.imageTopic}`,
    `kafka-acls.sh --bootstrap-server ${bootstrap} ${cfg} --add --allow-principal ${user} --operation Read --operation Describe --group ${props.names.consumerGroupId}`,
    `kafka-acls.sh --bootstrap-server ${bootstrap} ${cfg} --add --allow-principal ${user} --operation Write --operation Describe --topic ${props.names.deadLetterTopic}`,
    `kafka-acls.sh --bootstrap-server ${bootstrap} ${cfg} --add --allow-principal ${user} --operation Describe --operation DescribeConfigs --cluster`,
  ];
  return [...topics, ...acls].join('\n');
}

/**
 * The MSK cluster: brokers in the private subnets of 2+ AZs, TLS in transit (client and
 * in-cluster), encryption at rest with the project key, SASL/SCRAM (the pipeline) plus IAM
 * (operators), the durable configuration above, per-topic metrics (the dead-letter alarm needs
 * them), broker logs in CloudWatch, and the SCRAM secret associated.
 */
export class Streaming extends Construct {
  readonly cluster: MskCluster;
  readonly configuration: MskConfiguration;

  constructor(scope: Construct, id: string, ctx: StackContext, deps: { network: Network; key: KmsKey; kafkaSecret: SecretsmanagerSecret; kafkaSecretValue: ITerraformDependable }) {
    super(scope, id);
    const { props } = ctx;
    this.configuration = new MskConfiguration(this, 'configuration', {
      name: props.names.cluster,
      kafkaVersions: [props.msk.kafkaVersion],
      description: 'image-pipeline: durable replication, ACLs enforced, no topic auto-creation',
      serverProperties: Object.entries(MSK_SERVER_PROPERTIES).map(([k, v]) => `${k}=${v}`).join('\n'),
    });
    const brokerLogs = new CloudwatchLogGroup(this, 'broker-logs', {
      name: `/aws/msk/${props.names.cluster}`,
      retentionInDays: props.msk.brokerLogRetentionDays,
      tags: props.tags,
    });
    this.cluster = new MskCluster(this, 'cluster', {
      clusterName: props.names.cluster,
      kafkaVersion: props.msk.kafkaVersion,
      numberOfBrokerNodes: props.msk.brokerCount,
      brokerNodeGroupInfo: {
        instanceType: props.msk.instanceType,
        clientSubnets: deps.network.privateSubnets.map((s) => s.id),
        securityGroups: [deps.network.mskSecurityGroup.id],
        storageInfo: { ebsStorageInfo: { volumeSize: props.msk.volumeSizeGb } },
      },
      clientAuthentication: { unauthenticated: false, sasl: { scram: true, iam: true } },
      encryptionInfo: {
        encryptionAtRestKmsKeyArn: deps.key.arn,
        encryptionInTransit: { clientBroker: 'TLS', inCluster: true },
      },
      configurationInfo: { arn: this.configuration.arn, revision: this.configuration.latestRevision },
      enhancedMonitoring: 'PER_TOPIC_PER_BROKER',
      loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: brokerLogs.name } } },
      tags: props.tags,
    });
    new MskSingleScramSecretAssociation(this, 'scram-secret', {
      clusterArn: this.cluster.arn,
      secretArn: deps.kafkaSecret.arn,
      // MSK validates the secret's JSON at association time, so the value must exist first.
      dependsOn: [deps.kafkaSecretValue],
    });
  }
}
