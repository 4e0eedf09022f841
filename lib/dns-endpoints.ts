import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { isDnsLabel, primaryName, readerName } from '../lambdas/core/endpoints.ts';

/** DNS names per master group, as ElastiCache gives each replication group a primary and a reader endpoint. */
export interface DnsEndpointsProps {
  /**
   * An existing private hosted zone associated with the VPC (its name is then the zone's).
   * @default - a new private hosted zone named `zoneName`, associated with the VPC
   */
  readonly zone?: route53.IHostedZone;
  /**
   * An existing private hosted zone by id (`Z…`), named `zoneName` (what `-c dnsZoneId` gives).
   * @default - see `zone`
   */
  readonly zoneId?: string;
  /**
   * Name of the zone the construct creates (or of the one `zoneId` names).
   * @default 'redis.internal'
   */
  readonly zoneName?: string;
  /**
   * TTL of every record: the longest a client (or the VPC resolver) keeps the old master's address after a failover.
   * @default Duration.seconds(5)
   */
  readonly ttl?: Duration;
  /**
   * Also keep `<master>-ro.<zone>`: one A value per replica that answers and replicates (the master when there is none).
   * @default true
   */
  readonly reader?: boolean;
  /**
   * How often each voter compares the records with the table and repairs them. Route 53 allows five API requests a
   * second per account, shared with everything else in it.
   * @default Duration.seconds(30)
   */
  readonly checkInterval?: Duration;
  /**
   * What happens to a zone the construct created when the stack is deleted. The records in it are written by the
   * functions, not by CloudFormation, and CloudFormation cannot delete a zone that still has them.
   * @default RemovalPolicy.RETAIN
   */
  readonly zoneRemovalPolicy?: RemovalPolicy;
}

export interface DnsEndpointsConstructProps extends DnsEndpointsProps {
  readonly vpc: ec2.IVpc;
  /** The master groups' names. */
  readonly masters: readonly string[];
  /** Names the construct at fault in a props error. */
  readonly invalid: (prop: string, problem: string) => never;
}

const DEFAULT_ZONE = 'redis.internal';

/** The zone and what the functions that write its records need: the variables of lambdas/runtime/aws/endpoint.ts and the grants. */
export class DnsEndpoints extends Construct {
  readonly zone: route53.IHostedZone;
  /** `mymaster.redis.internal`, by master group. */
  readonly primaryNames: Readonly<Record<string, string>>;
  /** `mymaster-ro.redis.internal`, by master group; empty without reader records. */
  readonly readerNames: Readonly<Record<string, string>>;
  readonly ttl: Duration;
  private readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: DnsEndpointsConstructProps) {
    super(scope, id);
    const ttl = props.ttl ?? Duration.seconds(5);
    if (!ttl.isUnresolved() && (!Number.isInteger(ttl.toSeconds({ integral: false })) || ttl.toSeconds() > 86_400)) {
      props.invalid('dnsEndpoints.ttl', `must be a whole number of seconds up to a day (got ${ttl.toHumanString()})`);
    }
    const check = props.checkInterval ?? Duration.seconds(30);
    if (!check.isUnresolved() && (!Number.isInteger(check.toSeconds({ integral: false })) || check.toSeconds() < 1)) {
      props.invalid('dnsEndpoints.checkInterval', `must be a whole number of seconds, at least 1 (got ${check.toHumanString()})`);
    }
    if (props.zone && (props.zoneName !== undefined || props.zoneId !== undefined))
      props.invalid('dnsEndpoints.zone', 'give zone, or zoneName (with zoneId for an existing one), not both');
    if (props.zoneId !== undefined && props.zoneName === undefined) props.invalid('dnsEndpoints.zoneId', 'needs zoneName, the name of that zone');
    const zoneName = props.zone ? props.zone.zoneName : (props.zoneName ?? DEFAULT_ZONE);
    if (
      !Token.isUnresolved(zoneName) &&
      !/^(?=.{1,250}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/.test(zoneName)
    ) {
      props.invalid('dnsEndpoints.zoneName', `must be a domain name such as redis.internal (got ${JSON.stringify(zoneName)})`);
    }
    props.masters.forEach((name, i) => {
      if (!isDnsLabel(name))
        props.invalid(
          `masters[${i}].name`,
          `${JSON.stringify(name)} cannot name a DNS record (dnsEndpoints): use 1 to 60 of A-Z a-z 0-9 -, not starting or ending with -`,
        );
    });

    if (props.zone) {
      this.zone = props.zone;
    } else if (props.zoneId !== undefined) {
      this.zone = route53.PrivateHostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: props.zoneId, zoneName });
    } else {
      const zone = new route53.PrivateHostedZone(this, 'Zone', {
        zoneName,
        vpc: props.vpc,
        comment: 'redis-failover: the primary and reader endpoints of each master group',
      });
      zone.applyRemovalPolicy(props.zoneRemovalPolicy ?? RemovalPolicy.RETAIN);
      this.zone = zone;
    }
    const reader = props.reader ?? true;
    const settings = { zoneName, ttlSeconds: 0, reader };
    this.primaryNames = Object.fromEntries(props.masters.map((m) => [m, primaryName(m, settings)]));
    this.readerNames = reader ? Object.fromEntries(props.masters.map((m) => [m, readerName(m, settings)])) : {};
    this.ttl = ttl;
    this.environment = {
      ENDPOINT_ZONE_ID: this.zone.hostedZoneId,
      ENDPOINT_ZONE_NAME: zoneName,
      ENDPOINT_TTL_SECONDS: String(ttl.toSeconds()),
      ENDPOINT_READER: String(reader),
      ENDPOINT_CHECK_SECONDS: String(check.toSeconds()),
    };
  }

  /** Lets `fn` read the zone's records and write those of the master groups only (A, AAAA, CNAME), and tells it where they are. */
  grantTo(fn: lambda.Function): void {
    for (const [name, value] of Object.entries(this.environment)) fn.addEnvironment(name, value);
    const names = [...Object.values(this.primaryNames), ...Object.values(this.readerNames)];
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['route53:ChangeResourceRecordSets'],
        resources: [this.zone.hostedZoneArn],
        conditions: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': names,
            'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'AAAA', 'CNAME'],
          },
        },
      }),
    );
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['route53:ListResourceRecordSets'], resources: [this.zone.hostedZoneArn] }));
  }
}
