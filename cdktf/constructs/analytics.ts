import { Construct } from 'constructs';
import { AthenaWorkgroup } from '@cdktn/provider-aws/lib/athena-workgroup';
import { DynamodbKinesisStreamingDestination } from '@cdktn/provider-aws/lib/dynamodb-kinesis-streaming-destination';
import type { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table';
import { GlueCatalogDatabase } from '@cdktn/provider-aws/lib/glue-catalog-database';
import { GlueCatalogTable } from '@cdktn/provider-aws/lib/glue-catalog-table';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import { KinesisFirehoseDeliveryStream } from '@cdktn/provider-aws/lib/kinesis-firehose-delivery-stream';
import { KinesisStream } from '@cdktn/provider-aws/lib/kinesis-stream';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { QuicksightDataSet } from '@cdktn/provider-aws/lib/quicksight-data-set';
import { QuicksightDataSource } from '@cdktn/provider-aws/lib/quicksight-data-source';
import { AthenaNamedQuery } from '@cdktn/provider-aws/lib/athena-named-query';
import { QuicksightAnalysis } from '@cdktn/provider-aws/lib/quicksight-analysis';
import { QuicksightDashboard } from '@cdktn/provider-aws/lib/quicksight-dashboard';
import {
  DASHBOARD_VISUALS,
  IMAGE_STATE_COLUMNS,
  IMAGE_STATE_SQL,
  METADATA_PREFIX,
  glueColumns,
  toAthena,
  toQuickSightDataSet,
} from '../../core/analytics';
import { reconcileReceivedAfterSeconds } from '../props';
import { assumeRolePolicy, policyDocument } from '../iam';
import { quickSightDefinition } from './dashboard-definition';
import type { StackContext } from './context';
import { SecureBucket } from './storage';

export { METADATA_ATTRIBUTES, METADATA_PREFIX } from '../../core/analytics';

/**
 * The QuickSight data set's query: the latest state of every image, one row each, over the
 * analytics bucket's retention (`IMAGE_STATE_SQL` rendered for Athena).
 * @default retentionDays 90
 */
export function latestImageStateSql(database: string, table: string, retentionDays = 90): string {
  return toQuickSightDataSet(IMAGE_STATE_SQL, database, table, retentionDays);
}

/** AWS actions the principal gets on the analysis (owner rights, as the console grants them). */
const ANALYSIS_ACTIONS = [
  'quicksight:RestoreAnalysis', 'quicksight:UpdateAnalysisPermissions', 'quicksight:DeleteAnalysis', 'quicksight:DescribeAnalysisPermissions',
  'quicksight:QueryAnalysis', 'quicksight:DescribeAnalysis', 'quicksight:UpdateAnalysis',
] as const;

/** AWS actions the principal gets on the published dashboard (owner rights). */
const DASHBOARD_ACTIONS = [
  'quicksight:DescribeDashboard', 'quicksight:ListDashboardVersions', 'quicksight:UpdateDashboardPermissions', 'quicksight:QueryDashboard',
  'quicksight:UpdateDashboard', 'quicksight:DeleteDashboard', 'quicksight:DescribeDashboardPermissions', 'quicksight:UpdateDashboardPublishedVersion',
] as const;

/**
 * Makes the pipeline's metadata queryable. Choice: DynamoDB's Kinesis streaming destination →
 * Firehose → S3 (newline-delimited JSON, daily partitions) → a Glue table with partition
 * projection → an Athena workgroup; then a QuickSight Athena data source and data set (optional).
 * Why not the Athena DynamoDB connector: it needs a Serverless Application Repository Lambda
 * and scans the live table on every dashboard query, and TTL would hide history after 7 days;
 * the change stream keeps every state transition for `analytics.retentionDays` at S3 prices.
 */
export class Analytics extends Construct {
  readonly bucket: SecureBucket;
  readonly database: GlueCatalogDatabase;
  readonly table: GlueCatalogTable;
  readonly workgroup: AthenaWorkgroup;
  readonly dataSource?: QuicksightDataSource;
  readonly dataSet?: QuicksightDataSet;
  /** One Athena named query per dashboard visual, plus `image_state` (the data set's query). */
  readonly namedQueries: Record<string, AthenaNamedQuery> = {};
  readonly analysis?: QuicksightAnalysis;
  readonly dashboard?: QuicksightDashboard;

  constructor(scope: Construct, id: string, ctx: StackContext, deps: { key: KmsKey; imagesTable: DynamodbTable }) {
    super(scope, id);
    const { props, accountId, partition, region } = ctx;
    const { key } = deps;
    const envName = props.environment;
    this.bucket = new SecureBucket(this, 'bucket', {
      name: `${props.names.analyticsBucket}-${accountId}`,
      key,
      expirationDays: props.analytics.retentionDays,
      forceDestroy: props.storage.forceDestroy,
      tags: props.tags,
    });
    const bucketArn = this.bucket.bucket.arn;

    const stream = new KinesisStream(this, 'changes', {
      name: `image-pipeline-${envName}-metadata-changes`,
      streamModeDetails: { streamMode: 'ON_DEMAND' },
      // AWS-managed key: DynamoDB writes into the stream as a service, which the project key's
      // policy does not grant; records live 24 h here and land in the CMK-encrypted bucket.
      encryptionType: 'KMS',
      kmsKeyId: 'alias/aws/kinesis',
      retentionPeriod: 24,
      tags: props.tags,
    });
    new DynamodbKinesisStreamingDestination(this, 'table-changes', {
      tableName: deps.imagesTable.name,
      streamArn: stream.arn,
      approximateCreationDateTimePrecision: 'MILLISECOND',
    });

    const firehoseRole = new IamRole(this, 'firehose-role', {
      name: `image-pipeline-${envName}-metadata-firehose-${region}`,
      assumeRolePolicy: assumeRolePolicy('firehose.amazonaws.com', { StringEquals: { 'sts:ExternalId': accountId } }),
      tags: props.tags,
    });
    const firehosePolicy = new IamRolePolicy(this, 'firehose-policy', {
      role: firehoseRole.id,
      name: 'least-privilege',
      policy: policyDocument([
        { sid: 'ReadChanges', actions: ['kinesis:DescribeStream', 'kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:ListShards'], resources: [stream.arn] },
        { sid: 'LocateBucket', actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], resources: [bucketArn] },
        { sid: 'WriteRecords', actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'], resources: [`${bucketArn}/${METADATA_PREFIX}*`, `${bucketArn}/metadata-errors/*`] },
        { sid: 'UseProjectKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.arn] },
      ]),
    });
    new KinesisFirehoseDeliveryStream(this, 'to-s3', {
      name: `image-pipeline-${envName}-metadata-to-s3`,
      destination: 'extended_s3',
      kinesisSourceConfiguration: { kinesisStreamArn: stream.arn, roleArn: firehoseRole.arn },
      extendedS3Configuration: {
        roleArn: firehoseRole.arn,
        bucketArn,
        prefix: `${METADATA_PREFIX}dt=!{timestamp:yyyy-MM-dd}/`,
        errorOutputPrefix: 'metadata-errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        bufferingInterval: 300,
        bufferingSize: 64,
        compressionFormat: 'GZIP',
        kmsKeyArn: key.arn,
        // Athena's JSON SerDe needs one record per line; Firehose concatenates without a delimiter otherwise.
        processingConfiguration: { enabled: true, processors: [{ type: 'AppendDelimiterToRecord' }] },
      },
      dependsOn: [firehosePolicy],
      tags: props.tags,
    });

    // Literal names (not references) so the SQL texts read as they run.
    const databaseName = `image_pipeline_${envName}`;
    const tableName = 'metadata_changes';
    this.database = new GlueCatalogDatabase(this, 'database', { name: databaseName });
    const location = `s3://${this.bucket.bucket.bucket}/${METADATA_PREFIX}`;
    this.table = new GlueCatalogTable(this, 'metadata-changes', {
      databaseName: this.database.name,
      name: tableName,
      tableType: 'EXTERNAL_TABLE',
      parameters: {
        classification: 'json',
        // Partition projection: new days are queryable without crawlers or MSCK REPAIR.
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': '2025-01-01,NOW',
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
        // `$${dt}` is Terraform's escape for the literal `${dt}` Athena expects.
        'storage.location.template': `${location}dt=$\${dt}/`,
      },
      partitionKeys: [{ name: 'dt', type: 'string' }],
      storageDescriptor: {
        location,
        inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        serDeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'true' } },
        // One declaration for Athena and the local engine (core/analytics/change-record.ts).
        columns: glueColumns(),
      },
    });

    this.workgroup = new AthenaWorkgroup(this, 'workgroup', {
      name: `image-pipeline-${envName}`,
      forceDestroy: props.storage.forceDestroy,
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${this.bucket.bucket.bucket}/athena-results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: key.arn },
        },
      },
      tags: props.tags,
    });

    // The dashboard's SQL as Athena named queries: the same text the local engine runs.
    const database = this.database.name;
    const queries = [{ id: 'image_state', title: 'Latest state of every image', sql: IMAGE_STATE_SQL }, ...DASHBOARD_VISUALS];
    for (const { id, title, sql } of queries) {
      const athena = toAthena(sql, databaseName, tableName);
      this.namedQueries[id] = new AthenaNamedQuery(this, `query-${id.replaceAll('_', '-')}`, {
        name: `image-pipeline-${envName}-${id}`,
        database,
        workgroup: this.workgroup.name,
        description: `${title}. Execution parameters, in order: ${athena.order.join(', ')}`.slice(0, 1024),
        query: athena.sql,
      });
    }

    const qs = props.analytics.quicksight;
    if (qs === undefined) return;
    const workgroupArn = `arn:${partition}:athena:${region}:${accountId}:workgroup/${this.workgroup.name}`;
    const glueArns = [
      `arn:${partition}:glue:${region}:${accountId}:catalog`,
      `arn:${partition}:glue:${region}:${accountId}:database/${this.database.name}`,
      `arn:${partition}:glue:${region}:${accountId}:table/${this.database.name}/${this.table.name}`,
    ];
    // QuickSight runs Athena queries as its service role; grant it exactly this workgroup's data.
    new IamRolePolicy(this, 'quicksight-access', {
      role: qs.serviceRoleName,
      name: `image-pipeline-${envName}-analytics`,
      policy: policyDocument([
        {
          sid: 'QueryWorkgroup',
          actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
          resources: [workgroupArn],
        },
        { sid: 'ReadCatalog', actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'], resources: glueArns },
        { sid: 'LocateBucket', actions: ['s3:GetBucketLocation', 's3:ListBucket'], resources: [bucketArn] },
        { sid: 'ReadMetadata', actions: ['s3:GetObject'], resources: [`${bucketArn}/${METADATA_PREFIX}*`] },
        { sid: 'WriteResults', actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'], resources: [`${bucketArn}/athena-results/*`] },
        { sid: 'UseProjectKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.arn] },
      ]),
    });
    this.dataSource = new QuicksightDataSource(this, 'quicksight-source', {
      dataSourceId: `image-pipeline-${envName}-athena`,
      name: `Image pipeline (${envName})`,
      type: 'ATHENA',
      parameters: { athena: { workGroup: this.workgroup.name } },
      sslProperties: { disableSsl: false },
      permission: [
        {
          principal: qs.principalArn,
          actions: [
            'quicksight:DescribeDataSource', 'quicksight:DescribeDataSourcePermissions', 'quicksight:PassDataSource',
            'quicksight:UpdateDataSource', 'quicksight:DeleteDataSource', 'quicksight:UpdateDataSourcePermissions',
          ],
        },
      ],
      tags: props.tags,
    });
    this.dataSet = new QuicksightDataSet(this, 'quicksight-images', {
      dataSetId: `image-pipeline-${envName}-images`,
      name: `Images (${envName})`,
      importMode: 'DIRECT_QUERY',
      physicalTableMap: [
        {
          physicalTableMapId: 'latest-image-state',
          customSql: {
            dataSourceArn: this.dataSource.arn,
            name: 'latest_image_state',
            sqlQuery: latestImageStateSql(databaseName, tableName, props.analytics.retentionDays),
            columns: IMAGE_STATE_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
          },
        },
      ],
      permissions: [
        {
          principal: qs.principalArn,
          actions: [
            'quicksight:DescribeDataSet', 'quicksight:DescribeDataSetPermissions', 'quicksight:PassDataSet',
            'quicksight:DescribeIngestion', 'quicksight:ListIngestions', 'quicksight:UpdateDataSet',
            'quicksight:DeleteDataSet', 'quicksight:CreateIngestion', 'quicksight:CancelIngestion',
            'quicksight:UpdateDataSetPermissions',
          ],
        },
      ],
      tags: props.tags,
    });
    // Direct query, no SPICE: "stuck now" must be current, and the data is small (docs/aws-deployment.md).
    // "Stuck" is exactly what the reconciler will repair: RECEIVED past its threshold.
    const definition = quickSightDefinition(this.dataSet.arn, reconcileReceivedAfterSeconds(props));
    this.analysis = new QuicksightAnalysis(this, 'quicksight-analysis', {
      analysisId: `image-pipeline-${envName}-operations`,
      name: `Image pipeline operations (${envName})`,
      definition,
      permissions: [{ principal: qs.principalArn, actions: [...ANALYSIS_ACTIONS] }],
      tags: props.tags,
    });
    this.dashboard = new QuicksightDashboard(this, 'quicksight-dashboard', {
      dashboardId: `image-pipeline-${envName}-operations`,
      name: `Image pipeline operations (${envName})`,
      versionDescription: 'Defined in cdktf/constructs/dashboard-definition.ts from core/analytics/dashboard.ts',
      definition,
      permissions: [{ principal: qs.principalArn, actions: [...DASHBOARD_ACTIONS] }],
      dashboardPublishOptions: {
        adHocFilteringOption: { availabilityStatus: 'ENABLED' },
        exportToCsvOption: { availabilityStatus: 'ENABLED' },
        sheetControlsOption: { visibilityState: 'EXPANDED' },
      },
      tags: props.tags,
    });
  }
}