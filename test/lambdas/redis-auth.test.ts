/** REDIS_AUTH, what a workflow step reads to reach each master group (lambdas/runtime/aws/redis.ts). */
import { describe, expect, it } from 'vitest';
import { authFromEnv } from '../../lambdas/runtime/aws/redis.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis/sessions-AbCdEf';

describe('REDIS_AUTH', () => {
  it('gives each master group named its user and secret; the others connect without AUTH', () => {
    expect(authFromEnv({ REDIS_AUTH: JSON.stringify({ sessions: { username: 'failover', secretArn: ARN }, cache: { secretArn: ARN } }) })).toEqual({
      masters: [
        { name: 'sessions', auth: { username: 'failover', secretArn: ARN } },
        { name: 'cache', auth: { secretArn: ARN } },
      ],
    });
    expect(authFromEnv({ REDIS_AUTH: '{}' })).toEqual({ masters: [] });
  });

  it.each([
    [undefined, 'REDIS_AUTH is not set'],
    ['{"sessions": ', 'REDIS_AUTH: invalid JSON'],
    ['[]', 'REDIS_AUTH: must be an object of master names'],
    ['{"sessions": {"password": "hunter2"}}', 'REDIS_AUTH.sessions.secretArn: must be a non-empty string'],
    [`{"sessions": {"secretArn": "${ARN}", "username": ""}}`, 'REDIS_AUTH.sessions.username: must be a non-empty string when present'],
  ])('refuses %s in one line, never quoting it', (value, message) => {
    expect(() => authFromEnv({ REDIS_AUTH: value })).toThrow(message);
    try {
      authFromEnv({ REDIS_AUTH: value });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
