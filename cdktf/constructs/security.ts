import { Construct } from 'constructs';
import { DataAwsSecretsmanagerRandomPassword } from '@cdktn/provider-aws/lib/data-aws-secretsmanager-random-password';
import { KmsAlias } from '@cdktn/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { SecretsmanagerSecret } from '@cdktn/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktn/provider-aws/lib/secretsmanager-secret-version';
import type { StackContext } from './context';

/**
 * The project's customer-managed KMS key (rotation on) and the two secrets: the API keys the
 * ingest Lambda checks, and the MSK SASL/SCRAM credentials (`AmazonMSK_` prefix, encrypted with
 * the customer-managed key — MSK refuses secrets encrypted with the default `aws/secretsmanager` key).
 */
export class Security extends Construct {
  readonly key: KmsKey;
  readonly apiKeySecret: SecretsmanagerSecret;
  readonly kafkaSecret: SecretsmanagerSecret;
  readonly kafkaSecretValue: SecretsmanagerSecretVersion;

  constructor(scope: Construct, id: string, ctx: StackContext) {
    super(scope, id);
    const { props, accountId, partition } = ctx;
    const root = `arn:${partition}:iam::${accountId}:root`;

    this.key = new KmsKey(this, 'key', {
      description: `image-pipeline ${props.environment}: S3, DynamoDB, SNS, SQS, Kinesis, MSK and secrets`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          // The AWS default: IAM policies in this account decide who uses the key (keeps it manageable).
          { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' },
          {
            // CloudWatch alarms and SNS->SQS delivery publish to encrypted topics/queues as services.
            Sid: 'ServicesEncryptNotifications',
            Effect: 'Allow',
            Principal: { Service: ['cloudwatch.amazonaws.com', 'sns.amazonaws.com'] },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
          },
        ],
      }),
      tags: props.tags,
    });
    new KmsAlias(this, 'alias', { name: `alias/image-pipeline-${props.environment}`, targetKeyId: this.key.keyId });

    this.apiKeySecret = new SecretsmanagerSecret(this, 'api-key-secret', {
      name: props.names.apiKeySecret,
      description: 'API keys accepted by the ingest API (value set by operators, see docs/aws-deployment.md)',
      kmsKeyId: this.key.arn,
      recoveryWindowInDays: 7,
      tags: props.tags,
    });

    this.kafkaSecret = new SecretsmanagerSecret(this, 'kafka-secret', {
      name: props.names.kafkaSecret,
      description: 'SASL/SCRAM credentials of the pipeline user on the MSK cluster',
      kmsKeyId: this.key.arn,
      recoveryWindowInDays: 7,
      tags: props.tags,
    });
    const password = new DataAwsSecretsmanagerRandomPassword(this, 'kafka-password', {
      passwordLength: 40,
      excludePunctuation: true,
    });
    this.kafkaSecretValue = new SecretsmanagerSecretVersion(this, 'kafka-secret-value', {
      secretId: this.kafkaSecret.id,
      secretString: JSON.stringify({ username: props.names.kafkaUsername, password: password.randomPassword }),
      // The data source yields a new password on every plan; keep the first one (rotate on purpose, not by accident).
      lifecycle: { ignoreChanges: ['secret_string'] },
    });
  }
}
