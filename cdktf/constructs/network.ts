import { Construct } from 'constructs';
import { Fn } from 'cdktn';
import { DataAwsAvailabilityZones } from '@cdktn/provider-aws/lib/data-aws-availability-zones';
import { Eip } from '@cdktn/provider-aws/lib/eip';
import { InternetGateway } from '@cdktn/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktn/provider-aws/lib/nat-gateway';
import { RouteTable } from '@cdktn/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktn/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktn/provider-aws/lib/security-group';
import { Subnet } from '@cdktn/provider-aws/lib/subnet';
import { Vpc } from '@cdktn/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktn/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupEgressRule } from '@cdktn/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktn/provider-aws/lib/vpc-security-group-ingress-rule';
import type { StackContext } from './context';

/** SASL/SCRAM over TLS listener of MSK brokers. */
export const MSK_SCRAM_PORT = 9096;
/** IAM-auth listener (operators' admin tools; see docs/aws-deployment.md). */
export const MSK_IAM_PORT = 9098;

/**
 * The VPC: private subnets (MSK brokers, the stream consumer, the MSK pollers) and public subnets
 * for the NAT gateways, one pair per AZ; S3 and DynamoDB gateway endpoints (the MSK on-failure S3
 * destination requires an S3 endpoint in the cluster's VPC); and the two security groups.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  readonly privateSubnets: Subnet[] = [];
  readonly mskSecurityGroup: SecurityGroup;
  readonly consumerSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, ctx: StackContext) {
    super(scope, id);
    const { props, region } = ctx;
    const azCount = props.network.availabilityZoneCount;
    const azs = new DataAwsAvailabilityZones(this, 'azs', { state: 'available' });

    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: props.network.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { ...props.tags, Name: `image-pipeline-${props.environment}` },
    });
    const igw = new InternetGateway(this, 'igw', { vpcId: this.vpc.id, tags: props.tags });
    const publicRoutes = new RouteTable(this, 'public-routes', {
      vpcId: this.vpc.id,
      route: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }],
      tags: props.tags,
    });

    const publicSubnets: Subnet[] = [];
    for (let i = 0; i < azCount; i += 1) {
      const az = Fn.element(azs.names, i);
      const pub = new Subnet(this, `public-${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: Fn.cidrsubnet(props.network.vpcCidr, 4, 8 + i),
        tags: { ...props.tags, Name: `image-pipeline-${props.environment}-public-${i}` },
      });
      new RouteTableAssociation(this, `public-${i}-routes`, { subnetId: pub.id, routeTableId: publicRoutes.id });
      publicSubnets.push(pub);
      this.privateSubnets.push(
        new Subnet(this, `private-${i}`, {
          vpcId: this.vpc.id,
          availabilityZone: az,
          cidrBlock: Fn.cidrsubnet(props.network.vpcCidr, 4, i),
          tags: { ...props.tags, Name: `image-pipeline-${props.environment}-private-${i}` },
        }),
      );
    }

    const nats = publicSubnets.slice(0, props.network.natGateways).map((subnet, i) => {
      const eip = new Eip(this, `nat-${i}-ip`, { domain: 'vpc', tags: props.tags });
      return new NatGateway(this, `nat-${i}`, { subnetId: subnet.id, allocationId: eip.allocationId, tags: props.tags, dependsOn: [igw] });
    });
    const privateRouteTables = this.privateSubnets.map((subnet, i) => {
      const nat = nats[i % nats.length];
      const table = new RouteTable(this, `private-${i}-routes`, {
        vpcId: this.vpc.id,
        route: nat ? [{ cidrBlock: '0.0.0.0/0', natGatewayId: nat.id }] : [],
        tags: props.tags,
      });
      new RouteTableAssociation(this, `private-${i}-assoc`, { subnetId: subnet.id, routeTableId: table.id });
      return table;
    });
    for (const service of ['s3', 'dynamodb'] as const) {
      new VpcEndpoint(this, `${service}-endpoint`, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${region}.${service}`,
        vpcEndpointType: 'Gateway',
        routeTableIds: privateRouteTables.map((t) => t.id),
        tags: props.tags,
      });
    }

    this.mskSecurityGroup = new SecurityGroup(this, 'msk-sg', {
      name: `image-pipeline-${props.environment}-msk`,
      description: 'MSK brokers and the Lambda MSK event pollers (which run with the cluster SGs)',
      vpcId: this.vpc.id,
      tags: props.tags,
    });
    this.consumerSecurityGroup = new SecurityGroup(this, 'consumer-sg', {
      name: `image-pipeline-${props.environment}-stream-consumer`,
      description: 'stream-consumer Lambda ENIs',
      vpcId: this.vpc.id,
      tags: props.tags,
    });
    const msk = this.mskSecurityGroup.id;
    const consumer = this.consumerSecurityGroup.id;
    for (const port of [MSK_SCRAM_PORT, MSK_IAM_PORT]) {
      new VpcSecurityGroupIngressRule(this, `msk-from-self-${port}`, {
        securityGroupId: msk, referencedSecurityGroupId: msk, ipProtocol: 'tcp', fromPort: port, toPort: port,
        description: 'brokers and MSK pollers',
      });
      new VpcSecurityGroupEgressRule(this, `msk-to-self-${port}`, {
        securityGroupId: msk, referencedSecurityGroupId: msk, ipProtocol: 'tcp', fromPort: port, toPort: port,
        description: 'MSK pollers to brokers',
      });
    }
    new VpcSecurityGroupIngressRule(this, 'msk-from-consumer', {
      securityGroupId: msk, referencedSecurityGroupId: consumer, ipProtocol: 'tcp', fromPort: MSK_SCRAM_PORT, toPort: MSK_SCRAM_PORT,
      description: 'stream-consumer producing to the dead-letter topic',
    });
    new VpcSecurityGroupEgressRule(this, 'msk-to-https', {
      securityGroupId: msk, cidrIpv4: '0.0.0.0/0', ipProtocol: 'tcp', fromPort: 443, toPort: 443,
      description: 'MSK pollers to Lambda, STS and Secrets Manager (via NAT) and S3 (endpoint)',
    });
    new VpcSecurityGroupEgressRule(this, 'consumer-to-msk', {
      securityGroupId: consumer, referencedSecurityGroupId: msk, ipProtocol: 'tcp', fromPort: MSK_SCRAM_PORT, toPort: MSK_SCRAM_PORT,
      description: 'dead-letter producer',
    });
    new VpcSecurityGroupEgressRule(this, 'consumer-to-https', {
      securityGroupId: consumer, cidrIpv4: '0.0.0.0/0', ipProtocol: 'tcp', fromPort: 443, toPort: 443,
      description: 'AWS APIs and HTTPS image sources',
    });
  }
}
