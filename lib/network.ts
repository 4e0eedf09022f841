import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface FailoverNetworkProps {
  readonly vpc: ec2.IVpc;
  /** The subnets the functions run in (interface endpoints take one per availability zone). */
  readonly subnets: readonly ec2.ISubnet[];
  /** Where the Redis servers are. */
  readonly redisPeer: ec2.IPeer;
  /** The TCP ports the functions may reach Redis on. */
  readonly redisPorts: readonly number[];
  /** Interface endpoints for Step Functions, EventBridge and Secrets Manager. */
  readonly interfaceEndpoints: boolean;
  /** A gateway endpoint for DynamoDB on the subnets' route tables. */
  readonly dynamoDbGatewayEndpoint: boolean;
  /** @default - a group of its own, out to the Redis ports and HTTPS only */
  readonly securityGroup?: ec2.ISecurityGroup;
}

/** The AWS APIs the functions call, besides DynamoDB (a gateway endpoint, free). */
export const INTERFACE_ENDPOINT_SERVICES = {
  StepFunctions: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
  EventBridge: ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE,
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
} as const;

/**
 * The functions' security group, and optionally the VPC endpoints that let private subnets
 * without a NAT gateway reach the AWS APIs.
 *
 * Egress is only what the functions use: TCP to the Redis ports at `redisPeer`, and HTTPS for the
 * AWS APIs. HTTPS stays open to any address: without endpoints the APIs are reached through NAT
 * at public addresses, and DynamoDB's gateway endpoint routes to DynamoDB's public ranges too.
 * (DNS to the VPC resolver is never filtered by security groups.) No ingress: nothing calls in.
 */
export class FailoverNetwork extends Construct {
  readonly securityGroup: ec2.ISecurityGroup;
  /** The interface endpoints, by service; empty unless `interfaceEndpoints`. */
  readonly interfaceEndpoints: Readonly<Partial<Record<keyof typeof INTERFACE_ENDPOINT_SERVICES, ec2.InterfaceVpcEndpoint>>>;
  readonly dynamoDbEndpoint: ec2.GatewayVpcEndpoint | undefined;

  constructor(scope: Construct, id: string, props: FailoverNetworkProps) {
    super(scope, id);
    const subnets: ec2.SubnetSelection = { subnets: [...props.subnets] };
    // A group of the user's keeps its own egress (the rules below change nothing on a group that allows all out).
    this.securityGroup =
      props.securityGroup ??
      new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        allowAllOutbound: false,
        description: 'redis-failover functions: egress to the Redis ports and HTTPS (AWS APIs) only',
      });
    for (const port of props.redisPorts) {
      this.securityGroup.addEgressRule(props.redisPeer, ec2.Port.tcp(port), `Redis on ${port}`);
    }
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs over HTTPS');

    const endpoints: Partial<Record<keyof typeof INTERFACE_ENDPOINT_SERVICES, ec2.InterfaceVpcEndpoint>> = {};
    if (props.interfaceEndpoints) {
      // Only the functions may use these endpoints' network interfaces.
      const endpointGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: props.vpc,
        allowAllOutbound: false,
        description: 'redis-failover interface endpoints: HTTPS from the functions only',
      });
      endpointGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(443), 'HTTPS from the redis-failover functions');
      for (const [name, service] of Object.entries(INTERFACE_ENDPOINT_SERVICES) as Array<
        [keyof typeof INTERFACE_ENDPOINT_SERVICES, ec2.InterfaceVpcEndpointAwsService]
      >) {
        endpoints[name] = new ec2.InterfaceVpcEndpoint(this, `${name}Endpoint`, {
          vpc: props.vpc,
          service,
          subnets,
          privateDnsEnabled: true,
          open: false,
          securityGroups: [endpointGroup],
        });
      }
    }
    this.interfaceEndpoints = endpoints;
    this.dynamoDbEndpoint = props.dynamoDbGatewayEndpoint
      ? new ec2.GatewayVpcEndpoint(this, 'DynamoDbEndpoint', { vpc: props.vpc, service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [subnets] })
      : undefined;
  }
}
