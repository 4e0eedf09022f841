/**
 * `FailoverStore` on one DynamoDB table (pk + sk), also served locally by dynalite.
 *   master#<name> / state                 the master record (epoch, lease, current address)
 *   master#<name> / replica#<host>:<port>  a known replica
 *   master#<name> / vote#<voter>           one voter's opinion
 *   voter#<id>    / session                who holds the voter, and its last snapshot (JSON)
 * Nulls are stored as DynamoDB NULL, never as missing attributes; conditions accept both.
 * Only single-item conditional writes: no transactions, no TTL (dynalite has neither).
 */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AttributeDefinition, KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startFailoverRefusal } from '../core/store.ts';
import type {
  FailoverLease,
  StartFailoverArgs,
  KnownReplica,
  MaintenancePause,
  MasterRecord,
  PromotedReplica,
  StartFailoverResult,
  Vote,
} from '../core/store.ts';
import type { FailoverStore, VoterSessionStore } from '../core/interfaces.ts';
import type { VoterSession, WatchSnapshot } from '../core/voter-session.ts';
import type { Address, MasterRef } from '../core/types.ts';
import { executionName } from '../core/workflow-state.ts';
import { StaleEpochError } from '../core/errors.ts';
import { sleep } from '../core/wait.ts';

/** Shared by the CDK construct and the local runtime so both create the same table. */
export const TABLE_KEY_SCHEMA = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
} as const satisfies { AttributeDefinitions: readonly AttributeDefinition[]; KeySchema: readonly KeySchemaElement[] };

export interface DynamoDbStoreOptions {
  readonly client: DynamoDBClient | DynamoDBDocumentClient;
  readonly tableName: string;
  /** Query `Limit`; tests set it small to exercise pagination. Default: DynamoDB's 1 MB pages. */
  readonly pageSize?: number;
}

type Item = Record<string, unknown>;
type StartArgs = StartFailoverArgs;
/** The caller's part of an update guarded by the lease (`#failover`, `#epoch`, `:epoch`, `:null` are provided). */
interface HeldLeaseUpdate {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Item;
}

const STATE = 'state';
const REPLICA = 'replica#';
const VOTE = 'vote#';
/** Attempts when a refused start cannot be explained by the record read right after (it changed in between). */
const START_ATTEMPTS = 3;

const SESSION = 'session';
const masterPk = (name: string): string => `master#${name}`;
const voterPk = (voter: string): string => `voter#${voter}`;
const replicaSk = (a: Address): string => `${REPLICA}${a.host}:${a.port}`;

export class DynamoDbStore implements FailoverStore, VoterSessionStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #pageSize: number | undefined;

  constructor(options: DynamoDbStoreOptions) {
    const { client } = options;
    this.#doc = client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client);
    this.#table = options.tableName;
    this.#pageSize = options.pageSize;
  }

  async ensureMaster(master: MasterRef): Promise<MasterRecord> {
    const record: MasterRecord = {
      name: master.name,
      host: master.host,
      port: master.port,
      epoch: 0,
      failover: null,
      lastFailoverStartedAt: null,
      switchedAt: null,
      promoted: null,
      pause: null,
    };
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: masterPk(master.name), sk: STATE, ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return record;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return this.#mustGet(master.name);
    }
  }

  async getMaster(name: string): Promise<MasterRecord | null> {
    const out = await this.#doc.send(new GetCommand({ TableName: this.#table, Key: { pk: masterPk(name), sk: STATE }, ConsistentRead: true }));
    return out.Item ? toMasterRecord(out.Item) : null;
  }

  async putVote(vote: Vote): Promise<void> {
    await this.#doc.send(new PutCommand({ TableName: this.#table, Item: { pk: masterPk(vote.master), sk: `${VOTE}${vote.voter}`, ...vote } }));
  }

  async listVotes(master: string): Promise<Vote[]> {
    return (await this.#query(master, VOTE)).map(toVote);
  }

  async upsertReplicas(master: string, replicas: readonly KnownReplica[]): Promise<void> {
    // One PutItem per replica: a handful per master, and no BatchWrite retry loop to get wrong.
    await Promise.all(
      replicas.map((r) => {
        const item = { pk: masterPk(master), sk: replicaSk(r), host: r.host, port: r.port };
        return this.#doc.send(new PutCommand({ TableName: this.#table, Item: item }));
      }),
    );
  }

  async addReplica(master: string, replica: KnownReplica): Promise<boolean> {
    const item = { pk: masterPk(master), sk: replicaSk(replica), host: replica.host, port: replica.port };
    try {
      await this.#doc.send(new PutCommand({ TableName: this.#table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async listReplicas(master: string): Promise<KnownReplica[]> {
    return (await this.#query(master, REPLICA)).map(toReplica);
  }

  async removeReplica(master: string, replica: Address): Promise<void> {
    await this.#doc.send(new DeleteCommand({ TableName: this.#table, Key: { pk: masterPk(master), sk: replicaSk(replica) } }));
  }

  async tryStartFailover(name: string, args: StartArgs): Promise<StartFailoverResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { won: true, record: await this.#start(name, args) };
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
      const record = await this.#mustGet(name);
      const reason = startFailoverRefusal(record, args);
      if (reason) return { won: false, reason, record };
      if (attempt >= START_ATTEMPTS) throw new Error(`tryStartFailover ${name}: refused ${attempt} times but the record allows it; giving up`);
    }
  }

  async completeFailover(name: string, args: { epoch: number; newMaster: Address; now: number }): Promise<MasterRecord> {
    const { epoch, newMaster, now } = args;
    try {
      return await this.#updateHeldLease(name, epoch, {
        UpdateExpression: 'SET #host = :host, #port = :port, #failover = :null, #switchedAt = :now, #promoted = :null',
        ExpressionAttributeNames: { '#host': 'host', '#port': 'port', '#switchedAt': 'switchedAt', '#promoted': 'promoted' },
        ExpressionAttributeValues: { ':host': newMaster.host, ':port': newMaster.port, ':now': now, ':null': null },
      });
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const record = await this.#mustGet(name);
    const done =
      record.epoch === epoch && record.failover === null && record.switchedAt !== null && record.host === newMaster.host && record.port === newMaster.port;
    if (done) return record; // a retried last step
    const holder = record.failover ? `failover epoch ${record.failover.epoch} in progress` : 'no failover in progress';
    throw new StaleEpochError(`completeFailover ${name} epoch ${epoch}: the record is at epoch ${record.epoch} with ${holder}; master not switched`);
  }

  async recordPromotion(name: string, args: { epoch: number; promoted: Address; runId: string | null; confirmedAt?: number }): Promise<MasterRecord> {
    const promoted: PromotedReplica = {
      epoch: args.epoch,
      host: args.promoted.host,
      port: args.promoted.port,
      runId: args.runId,
      confirmedAt: args.confirmedAt ?? null,
    };
    try {
      return await this.#updateHeldLease(name, args.epoch, {
        UpdateExpression: 'SET #promoted = :promoted',
        ExpressionAttributeNames: { '#promoted': 'promoted' },
        ExpressionAttributeValues: { ':promoted': promoted },
      });
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const record = await this.#mustGet(name);
    throw new StaleEpochError(`recordPromotion ${name} epoch ${args.epoch}: the record is at epoch ${record.epoch}; not recorded`);
  }

  async abortFailover(name: string, args: { epoch: number }): Promise<MasterRecord> {
    try {
      return await this.#updateHeldLease(name, args.epoch, {
        UpdateExpression: 'SET #failover = :null',
        ExpressionAttributeNames: {},
        ExpressionAttributeValues: { ':null': null },
      });
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    // Not held at this epoch: already released, completed or taken over. Nothing of ours to clear.
    return this.#mustGet(name);
  }

  async setPause(name: string, pause: MaintenancePause): Promise<MasterRecord> {
    const out = await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: masterPk(name), sk: STATE },
        UpdateExpression: 'SET #pause = :pause',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#pause': 'pause' },
        ExpressionAttributeValues: { ':pause': pause },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toMasterRecord(out.Attributes ?? {});
  }

  async clearPause(name: string, args: { since?: number } = {}): Promise<{ cleared: MaintenancePause | null; record: MasterRecord }> {
    const bySince = args.since !== undefined;
    try {
      const out = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: masterPk(name), sk: STATE },
          UpdateExpression: 'SET #pause = :null',
          ConditionExpression: `attribute_type(#pause, :mapType)${bySince ? ' AND #pause.#since = :since' : ''}`,
          ExpressionAttributeNames: { '#pause': 'pause', ...(bySince && { '#since': 'since' }) },
          ExpressionAttributeValues: { ':null': null, ':mapType': 'M', ...(bySince && { ':since': args.since }) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = toMasterRecord(out.Attributes ?? {});
      return { cleared: old.pause, record: { ...old, pause: null } };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return { cleared: null, record: await this.#mustGet(name) };
    }
  }

  async getSession(voter: string, options: { readonly snapshot?: boolean } = {}): Promise<VoterSession | null> {
    const withSnapshot = options.snapshot ?? true;
    const out = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: voterPk(voter), sk: SESSION },
        ConsistentRead: true,
        ...(!withSnapshot && {
          ProjectionExpression: '#voter, #generation, #holder, #claimedAt, #deadline, #released, #snapshotGeneration, #snapshotAt',
          ExpressionAttributeNames: {
            '#voter': 'voter',
            '#generation': 'generation',
            '#holder': 'holder',
            '#claimedAt': 'claimedAt',
            '#deadline': 'deadline',
            '#released': 'released',
            '#snapshotGeneration': 'snapshotGeneration',
            '#snapshotAt': 'snapshotAt',
          },
        }),
      }),
    );
    return out.Item ? toSession(out.Item) : null;
  }

  async claimSession(voter: string, args: { expectedGeneration: number | null; holder: string; now: number; deadline: number }): Promise<VoterSession | null> {
    try {
      const out = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: voterPk(voter), sk: SESSION },
          UpdateExpression: 'SET #voter = :voter, #generation = :generation, #holder = :holder, #claimedAt = :now, #deadline = :deadline',
          ConditionExpression: args.expectedGeneration === null ? 'attribute_not_exists(pk)' : '#generation = :expected',
          ExpressionAttributeNames: { '#voter': 'voter', '#generation': 'generation', '#holder': 'holder', '#claimedAt': 'claimedAt', '#deadline': 'deadline' },
          ExpressionAttributeValues: {
            ':voter': voter,
            ':generation': (args.expectedGeneration ?? 0) + 1,
            ':holder': args.holder,
            ':now': args.now,
            ':deadline': args.deadline,
            ...(args.expectedGeneration === null ? {} : { ':expected': args.expectedGeneration }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toSession(out.Attributes ?? {});
    } catch (err) {
      if (isConditionFailure(err)) return null;
      throw err;
    }
  }

  async saveSnapshot(voter: string, args: { generation: number; snapshot: readonly WatchSnapshot[]; now: number; release: boolean }): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: voterPk(voter), sk: SESSION },
          // JSON text: the snapshot's shape is the watch's business, not the table's.
          UpdateExpression: `SET #snapshot = :snapshot, #snapshotGeneration = :generation, #snapshotAt = :now${args.release ? ', #released = :generation' : ''}`,
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#snapshotGeneration) OR #snapshotGeneration <= :generation)',
          ExpressionAttributeNames: {
            '#snapshot': 'snapshot',
            '#snapshotGeneration': 'snapshotGeneration',
            '#snapshotAt': 'snapshotAt',
            ...(args.release && { '#released': 'released' }),
          },
          ExpressionAttributeValues: { ':snapshot': JSON.stringify(args.snapshot), ':generation': args.generation, ':now': args.now },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** The leadership write: one conditional UpdateItem. Throws ConditionalCheckFailedException when refused. */
  async #start(name: string, args: StartArgs): Promise<MasterRecord> {
    const epoch = args.expectedEpoch + 1;
    const lease: FailoverLease = {
      epoch,
      execution: executionName(name, epoch),
      leader: args.leader,
      startedAt: args.now,
      leaseExpiresAt: args.now + args.leaseMs,
    };
    const out = await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: masterPk(name), sk: STATE },
        UpdateExpression: 'SET #epoch = :epoch, #failover = :lease, #last = :now',
        ConditionExpression:
          '#host = :host AND #port = :port AND #epoch = :expected' +
          ' AND (attribute_not_exists(#failover) OR attribute_type(#failover, :nullType) OR #failover.#expires < :now' +
          (args.takeOverEpoch === undefined ? ')' : ' OR #failover.#leaseEpoch = :takeOverEpoch)') +
          ' AND (attribute_not_exists(#last) OR attribute_type(#last, :nullType) OR #last < :blockedBefore)' +
          (args.respectPause ? ' AND (attribute_not_exists(#pause) OR attribute_type(#pause, :nullType) OR #pause.#until < :now)' : ''),
        ExpressionAttributeNames: {
          '#host': 'host',
          '#port': 'port',
          '#epoch': 'epoch',
          '#failover': 'failover',
          '#last': 'lastFailoverStartedAt',
          '#expires': 'leaseExpiresAt',
          ...(args.takeOverEpoch === undefined ? {} : { '#leaseEpoch': 'epoch' }),
          ...(args.respectPause && { '#pause': 'pause', '#until': 'until' }),
        },
        ExpressionAttributeValues: {
          ':host': args.expectedMaster.host,
          ':port': args.expectedMaster.port,
          ':epoch': epoch,
          ':expected': args.expectedEpoch,
          ':lease': lease,
          ':now': args.now,
          ':nullType': 'NULL',
          ':blockedBefore': args.now - args.blockMs,
          ...(args.takeOverEpoch === undefined ? {} : { ':takeOverEpoch': args.takeOverEpoch }),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toMasterRecord(out.Attributes ?? {});
  }

  /** An update of the master record that applies only while the failover of `epoch` holds it. */
  async #updateHeldLease(name: string, epoch: number, update: HeldLeaseUpdate): Promise<MasterRecord> {
    const out = await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: masterPk(name), sk: STATE },
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: '#failover.#epoch = :epoch',
        ExpressionAttributeNames: { '#failover': 'failover', '#epoch': 'epoch', ...update.ExpressionAttributeNames },
        ExpressionAttributeValues: { ':epoch': epoch, ...update.ExpressionAttributeValues },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toMasterRecord(out.Attributes ?? {});
  }

  async #mustGet(name: string): Promise<MasterRecord> {
    const record = await this.getMaster(name);
    if (!record) throw new Error(`no record for master ${name} in table ${this.#table} (ensureMaster first)`);
    return record;
  }

  /** Every item of the master whose sort key starts with `prefix`, all pages. */
  async #query(master: string, prefix: string): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': masterPk(master), ':prefix': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
          Limit: this.#pageSize,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

/** Creates the table (on-demand) unless it exists, and waits until it is ACTIVE. For the local runtime and tests. */
export async function createTable(client: DynamoDBClient, tableName: string, timeoutMs = 60_000): Promise<void> {
  if ((await tableStatus(client, tableName)) === null) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [...TABLE_KEY_SCHEMA.AttributeDefinitions],
          KeySchema: [...TABLE_KEY_SCHEMA.KeySchema],
        }),
      );
    } catch (err) {
      if (errorName(err) !== 'ResourceInUseException') throw err; // someone else created it meanwhile
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await tableStatus(client, tableName);
    if (status === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} not ACTIVE after ${timeoutMs} ms (status ${status ?? 'absent'})`);
    await sleep(100);
  }
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | null> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table?.TableStatus ?? null;
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') return null;
    throw err;
  }
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

/** By name, not instanceof: robust to duplicate SDK copies in a bundle. */
function isConditionFailure(err: unknown): boolean {
  return errorName(err) === 'ConditionalCheckFailedException';
}

// --- reading items back: checked, so a hand-edited item fails loudly instead of spreading undefined ---

function field(item: Item, key: string, type: 'number' | 'string', nullable: boolean): unknown {
  const value = item[key];
  if (typeof value === type || (nullable && value === null)) return value;
  throw new Error(
    `table item ${String(item['pk'])}/${String(item['sk'])}: ${key} should be a ${type}${nullable ? ' or null' : ''}, got ${JSON.stringify(value)}`,
  );
}
const num = (item: Item, key: string): number => field(item, key, 'number', false) as number;
const numOrNull = (item: Item, key: string): number | null => field(item, key, 'number', true) as number | null;
const str = (item: Item, key: string): string => field(item, key, 'string', false) as string;
const strOrNull = (item: Item, key: string): string | null => field(item, key, 'string', true) as string | null;

function toMasterRecord(item: Item): MasterRecord {
  const lease = item['failover'];
  return {
    name: str(item, 'name'),
    host: str(item, 'host'),
    port: num(item, 'port'),
    epoch: num(item, 'epoch'),
    failover: lease === null || lease === undefined ? null : toLease(asItem(lease, item, 'failover')),
    lastFailoverStartedAt: item['lastFailoverStartedAt'] === undefined ? null : numOrNull(item, 'lastFailoverStartedAt'),
    switchedAt: item['switchedAt'] === undefined ? null : numOrNull(item, 'switchedAt'),
    promoted: item['promoted'] === null || item['promoted'] === undefined ? null : toPromoted(asItem(item['promoted'], item, 'promoted')),
    // Records written before pauses existed have none.
    pause: item['pause'] === null || item['pause'] === undefined ? null : toPause(asItem(item['pause'], item, 'pause')),
  };
}

function asItem(value: unknown, parent: Item, field: string): Item {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Item;
  throw new Error(`table item ${String(parent['pk'])}/${String(parent['sk'])}: ${field} should be a map or null, got ${JSON.stringify(value)}`);
}

/** The type each field of a record has in its item: `?` for one that may be null. */
type FieldTypes<T> = {
  readonly [K in keyof T]-?: T[K] extends number ? 'number' : T[K] extends string ? 'string' : T[K] extends number | null ? 'number?' : 'string?';
};

/** A record's fields read from an item, each checked as `types` says (the compiler checks `types` against the record). */
function read<T>(item: Item, types: FieldTypes<T>): T {
  const entries = Object.entries(types as Readonly<Record<string, string>>).map(([key, type]) => [
    key,
    field(item, key, type.startsWith('number') ? 'number' : 'string', type.endsWith('?')),
  ]);
  return Object.fromEntries(entries) as T;
}

function toLease(item: Item): FailoverLease {
  return read<FailoverLease>(item, { epoch: 'number', execution: 'string', leader: 'string', startedAt: 'number', leaseExpiresAt: 'number' });
}

function toPromoted(item: Item): PromotedReplica {
  // confirmedAt came later: an item written before it has none.
  return read<PromotedReplica>({ confirmedAt: null, ...item }, { epoch: 'number', host: 'string', port: 'number', runId: 'string?', confirmedAt: 'number?' });
}

function toPause(item: Item): MaintenancePause {
  return read<MaintenancePause>(item, { since: 'number', until: 'number', reason: 'string', by: 'string' });
}

function toVote(item: Item): Vote {
  return {
    voter: str(item, 'voter'),
    master: str(item, 'master'),
    about: item['about'] === undefined ? null : strOrNull(item, 'about'),
    sdownSince: numOrNull(item, 'sdownSince'),
    observedAt: num(item, 'observedAt'),
    expiresAt: num(item, 'expiresAt'),
  };
}

function toSession(item: Item): VoterSession {
  const text = item['snapshot'];
  let snapshot: readonly WatchSnapshot[] | null = null;
  if (typeof text === 'string') {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) throw new Error(`table item ${String(item['pk'])}/${String(item['sk'])}: snapshot should be a JSON list`);
    snapshot = parsed as WatchSnapshot[];
  }
  const optional = (key: string): number | null => (item[key] === undefined ? null : numOrNull(item, key));
  return {
    voter: str(item, 'voter'),
    generation: num(item, 'generation'),
    holder: str(item, 'holder'),
    claimedAt: num(item, 'claimedAt'),
    deadline: num(item, 'deadline'),
    released: optional('released'),
    snapshot,
    snapshotGeneration: optional('snapshotGeneration'),
    snapshotAt: optional('snapshotAt'),
  };
}

/** Items written before replicas were addresses only also hold runId, priority, offset and lastSeenAt: unread. */
function toReplica(item: Item): KnownReplica {
  return { host: str(item, 'host'), port: num(item, 'port') };
}
