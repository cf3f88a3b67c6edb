/**
 * The engine every case runs on: one DynamoDB Local started for the run, a raw SDK client on it, a
 * fresh table, and seeding of big sessions with items shaped exactly as the core writes them.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { ensureTable } from '../lib/memory/table-setup';
import { key } from '../lib/memory/table-layout';
import type { MessageRecord, Role } from '../lib/memory/message-record';
import { nextMessageUlid } from '../lib/memory/message-ids';
import { startDynamoDBLocal, type DynamoDBLocal } from '../scripts/dynamodb-local';

export const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface Raw {
  client: DynamoDBClient;
  documents: DynamoDBDocumentClient;
}

/** A client on the bench's engine, with the retries and timeouts the config node sets. */
export function clientConfig(endpoint: string): DynamoDBClientConfig {
  return {
    region: 'us-east-1',
    endpoint,
    credentials,
    retryMode: 'standard',
    maxAttempts: 3,
    requestHandler: { requestTimeout: 30_000, connectionTimeout: 30_000 },
  };
}

/** The raw SDK, configured as the config node configures it (same retries, timeouts, marshalling). */
export function rawClient(endpoint: string): Raw {
  const client = new DynamoDBClient(clientConfig(endpoint));
  return { client, documents: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }) };
}

export interface Engine {
  local: DynamoDBLocal;
  raw: Raw;
  tableName: string;
  stop(): Promise<void>;
}

export async function startEngine(dbPath?: string): Promise<Engine> {
  const local = await startDynamoDBLocal(dbPath ? { dbPath, cwd: dbPath } : {});
  const raw = rawClient(local.endpoint);
  const tableName = `bench-${randomUUID().slice(0, 8)}`;
  await ensureTable(raw.client, tableName);
  return {
    local,
    raw,
    tableName,
    async stop() {
      raw.client.destroy();
      await local.stop();
    },
  };
}

/** A message item as `messageWrites` (lib/memory/message-record.ts) builds it, without TTL. */
export function messageItem(sessionId: string, ulid: string, createdAt: string, content: string, role: Role = 'user'): Record<string, unknown> {
  const record: MessageRecord = { messageId: ulid, sessionId, role, content, createdAt };
  return { ...key.message(sessionId, ulid), kind: 'message', ...record };
}

export const sampleText = 'Hello, I would like to change the delivery address of my last order, please.';

export interface SeedOptions {
  /** BatchWrite calls in flight. */
  parallel?: number;
  progress?: (done: number, seconds: number) => void;
  /** The i-th message; by default a user message `sampleText #i`. */
  message?: (i: number) => { role: Role; content: string };
}

/**
 * Writes `count` messages (and the session item) into one session with raw parallel BatchWrite
 * calls: 25 items a call, `parallel` calls in flight. Returns the seconds it took.
 */
export async function seedSession(raw: Raw, tableName: string, sessionId: string, count: number, options: SeedOptions = {}): Promise<number> {
  const { parallel = 8, progress, message = (i: number) => ({ role: 'user' as const, content: `${sampleText} #${i}` }) } = options;
  const every = 100_000;
  const started = process.hrtime.bigint();
  const startMs = Date.now() - count; // one message a millisecond, ending now
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const from = next;
      next = Math.min(count, next + 25);
      const to = next;
      const items = [];
      for (let i = from; i < to; i++) {
        const ms = startMs + i;
        const { role, content } = message(i);
        items.push({ PutRequest: { Item: messageItem(sessionId, nextMessageUlid(ms), new Date(ms).toISOString(), content, role) } });
      }
      let pending: unknown[] = items;
      while (pending.length > 0) {
        const result = await raw.documents.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending as never } }));
        pending = result.UnprocessedItems?.[tableName] ?? [];
      }
      if (progress && Math.floor(to / every) > Math.floor(from / every)) {
        progress(Math.floor(to / every) * every, Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const now = new Date().toISOString();
  await raw.documents.send(
    new PutCommand({
      TableName: tableName,
      Item: { ...key.session(sessionId), kind: 'session', sessionId, lastActivityAt: now, gsi1sk: key.userSessionsSort(now), createdAt: new Date(startMs).toISOString(), messageCount: count },
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}
