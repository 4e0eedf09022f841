import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE } from '../lambdas/adapters/metrics.ts';

export const MINUTE = Duration.minutes(1);

/** One of the functions' own metrics (lambdas/adapters/metrics.ts), a minute at a time; no dimension is the sum over every group. */
export function ownMetric(name: string, dimensionsMap: Record<string, string>, statistic = 'Sum'): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    ...(Object.keys(dimensionsMap).length > 0 && { dimensionsMap }),
    period: MINUTE,
    statistic,
  });
}
