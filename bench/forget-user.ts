/**
 * Case 9: forgetting a user with many messages, as the clear node does it (a background job), with
 * the tests' partition-throughput simulator in front of the bench's DynamoDB Local at DynamoDB's own
 * per-key limits (1,000 write units a second per partition): what it bills and how long it takes
 * there says what it costs on AWS. The user's sessions are seeded with raw BatchWrite calls, shaped
 * as the core writes them, on a table of its own, which a full scan then shows to be empty.
 */
import { randomUUID } from 'node:crypto';
import { PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ChatMemory } from '../lib/memory/chat-memory';
import { connect } from '../lib/memory/connection';
import { key, prefix } from '../lib/memory/table-layout';
import { ensureTable } from '../lib/memory/table-setup';
import { startFaultProxy } from '../test/support/fault-proxy';
import { scaledLimits } from '../test/support/partition-budget';
import { partitionThrottling } from '../test/support/partition-throttling';
import { credentials, seedSession, type Engine } from './engine';
import { row, type Row } from './report';

export interface ForgetSizes {
  forgetMessages: number;
  forgetSessions: number;
}

/** Every item of the table but the counter shards: a full scan. */
async function itemsLeft(engine: Engine, tableName: string): Promise<number> {
  let left = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await engine.raw.documents.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey, ProjectionExpression: 'pk' }));
    left += (page.Items ?? []).filter((item) => !String(item['pk']).startsWith(prefix.stats)).length;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return left;
}

export async function forgetAtScale(engine: Engine, sizes: ForgetSizes, log: (s: string) => void): Promise<{ rows: Row[]; data: unknown }> {
  const { raw } = engine;
  const tableName = `forget-${randomUUID().slice(0, 8)}`;
  await ensureTable(raw.client, tableName);
  const userId = 'forgotten-user';
  const perSession = Math.ceil(sizes.forgetMessages / sizes.forgetSessions);
  const seedSeconds = Date.now();
  for (let s = 0; s < sizes.forgetSessions; s++) {
    const sessionId = `${userId}-${s}`;
    await seedSession(raw, tableName, sessionId, perSession);
    await raw.documents.send(new UpdateCommand({
      TableName: tableName,
      Key: key.session(sessionId),
      UpdateExpression: 'SET userId = :user, gsi1pk = :index',
      ExpressionAttributeValues: { ':user': userId, ':index': key.userSessions(userId) },
    }));
  }
  await raw.documents.send(new PutCommand({ TableName: tableName, Item: { ...key.userMarker(userId), kind: 'user', userId, createdAt: new Date().toISOString() } }));
  const seeded = perSession * sizes.forgetSessions + sizes.forgetSessions + 1;
  log(`  seeded ${seeded.toLocaleString('en')} items in ${((Date.now() - seedSeconds) / 1000).toFixed(0)} s`);

  const proxy = await startFaultProxy(engine.local.endpoint);
  const simulator = (proxy.partitions = partitionThrottling(scaledLimits(1)));
  const connection = connect({
    region: 'us-east-1', endpoint: proxy.endpoint, authentication: { type: 'keys', ...credentials }, requestTimeoutMs: 30_000, maxAttempts: 10,
  });
  const memory = new ChatMemory({ documents: connection.documents, tableName });
  try {
    const units = () => simulator.budget.partitions().filter((p) => !p.pk.startsWith(prefix.stats))
      .reduce((sum, p) => ({ write: sum.write + p.writeUnits, read: sum.read + p.readUnits, throttled: sum.throttled + p.throttled }), { write: 0, read: 0, throttled: 0 });
    const started = process.hrtime.bigint();
    const job = await memory.startForgetUser({ userId });
    const refusedAfter = Number(process.hrtime.bigint() - started) / 1e9;
    const end = await job.finished;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const billed = units();
    await memory.close();
    const left = await itemsLeft(engine, tableName);
    if (left !== 0 || end.items !== seeded) throw new Error(`forget left ${left} items and deleted ${end.items} of ${seeded}`);
    log(`  forgot ${end.items.toLocaleString('en')} items in ${seconds.toFixed(1)} s (refused after ${refusedAfter.toFixed(2)} s); ` +
      `${billed.write.toLocaleString('en')} WCU, ${billed.read.toLocaleString('en')} RCU, ${billed.throttled} requests throttled; 0 items left`);
    const label = `${sizes.forgetMessages.toLocaleString('en')} messages over ${sizes.forgetSessions} sessions`;
    return {
      rows: [
        row(`9  forget a user of ${label} at DynamoDB's per-key limits: time, items/s`, `${seconds.toFixed(1)} s`, `${(end.items / seconds).toFixed(0)} items/s`, undefined),
        row('9  … billed write units per item deleted (1 on AWS for an item under 1 KB), read units in all', `${(billed.write / end.items).toFixed(3)} WCU`, `${billed.read.toFixed(0)} RCU`, billed.write / end.items, { max: 1.01 }),
        row('9  … items left afterwards (full scan)', String(left), '—', undefined),
      ],
      data: { seeded, deleted: end.deleted, items: end.items, seconds, refusedAfterSeconds: refusedAfter, writeUnits: billed.write, readUnits: billed.read, throttled: billed.throttled, left },
    };
  } finally {
    connection.client.destroy();
    await proxy.close();
  }
}
