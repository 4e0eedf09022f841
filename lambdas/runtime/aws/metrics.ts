/** The functions' metrics: embedded-metric-format lines on stdout, one recorder per container (lambdas/adapters/metrics.ts). */
import { EmfMetrics } from '../../adapters/metrics.ts';

export const awsMetrics = new EmfMetrics();
