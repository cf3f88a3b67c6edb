/**
 * The table's statistics (sessions, messages, users) without a scan and without a hot key. Stores,
 * clears and forgets report what they changed to this process's counter, which adds it up in
 * memory and writes the sum, at most once per `flushAfterMs`, to one of `statsShards` counter
 * items chosen at random. No item on a store's path is shared with other sessions: the counter
 * items take one write per process per interval, whatever the store rate.
 *
 * Exactness: a flush is one TransactWriteItems, so the SDK's retries after a lost response reuse its
 * token and DynamoDB adds it once. Reading in a process first writes what that process still
 * holds, so its own stores are always counted; other processes' stores show after their next flush
 * (within `flushAfterMs`). What a process held when it died without closing is never counted.
 */
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGet } from './batch-get';
import { key, statsShards } from './table-layout';
import { updateExpression } from './update-expression';

export interface TableStats {
  sessions: number;
  messages: number;
  users: number;
}

export type CountChange = Partial<TableStats>;

export interface TableCountersOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** How long a change may wait before it is written; the freshness other processes see. */
  flushAfterMs?: number;
}

const defaultFlushAfterMs = 1000;

const fields = ['sessions', 'messages', 'users'] as const;

export class TableCounters {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly flushAfterMs: number;
  private pending: TableStats = { sessions: 0, messages: 0, users: 0 };
  private timer: NodeJS.Timeout | undefined;
  /** Flushes run one after another, so a read never misses one still on its way. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(options: TableCountersOptions) {
    this.documents = options.documents;
    this.tableName = options.tableName;
    this.flushAfterMs = options.flushAfterMs ?? defaultFlushAfterMs;
  }

  /** Counts a change (negative for what was deleted); written with the next flush. */
  add(change: CountChange): void {
    for (const field of fields) this.pending[field] += change[field] ?? 0;
    if (this.timer === undefined && fields.some((field) => this.pending[field] !== 0)) {
      // A timer that keeps no process alive: close() flushes on the way out.
      this.timer = setTimeout(() => void this.flush().catch(() => undefined), this.flushAfterMs).unref();
    }
  }

  /** Writes what is pending to one random shard. On failure it stays pending for the next flush. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.catch(() => undefined).then(async () => {
      const change = this.pending;
      const add = Object.fromEntries(fields.filter((field) => change[field] !== 0).map((field) => [field, change[field]]));
      if (Object.keys(add).length === 0) return;
      this.pending = { sessions: 0, messages: 0, users: 0 };
      const shard = Math.floor(Math.random() * statsShards);
      try {
        await this.documents.send(new TransactWriteCommand({
          TransactItems: [{ Update: { TableName: this.tableName, Key: key.statsShard(shard), ...updateExpression({ set: { kind: 'stats' }, add }) } }],
        }));
      } catch (error) {
        this.add(change);
        throw error;
      }
    });
    return this.flushing;
  }

  /** The table's counts: this process's pending changes written first, then the shards summed (one BatchGetItem). */
  async read(): Promise<TableStats> {
    await this.flush();
    const totals: TableStats = { sessions: 0, messages: 0, users: 0 };
    const keys = Array.from({ length: statsShards }, (_, shard) => key.statsShard(shard));
    for (const item of await batchGet(this.documents, this.tableName, keys, { consistent: true })) {
      for (const field of fields) totals[field] += Number(item[field] ?? 0);
    }
    return totals;
  }
}
