/** The functions' log: JSON lines on stdout, which Lambda sends to the function's log group as they are. */
import { jsonLogger } from '../../adapters/log.ts';

export const awsLogger = jsonLogger();
