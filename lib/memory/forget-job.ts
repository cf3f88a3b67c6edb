/**
 * Forgetting a user as a job that outlives the msg that asked for it. A year of history is millions
 * of items, hours of deletes at DynamoDB's 1,000 write units a second per partition, so:
 *   1. The job item (`USER#<id>` / `FORGET`) is written first. From then on every read or write of
 *      the user's own partition and graph is refused (session-owner.ts), and so is every session
 *      item the job marks `forgetting` before `start` resolves: from that moment nothing of the user
 *      can be read, with or without a userId on the msg.
 *   2. The deletion runs in the background, session by session, page by page; each page is taken off
 *      the table's counters as it is deleted, and the progress (items deleted of how many, by kind)
 *      is written to the job item about once a second, which also renews the process's lease.
 *   3. A process that stops (close) pauses the job after the page at hand and gives up its lease; a
 *      process that died leaves a lease that runs out. Either way the next start of any process on
 *      the table (resumeUnfinished), or the next forget of the user, takes the job over and finishes
 *      it: deleting is idempotent, and the sessions still to do are found through the user index.
 *   4. A second forget of the user while the job runs joins it (in this process: the same job; in
 *      another: it follows the job item until it is gone).
 * The job item is deleted last, once the user's sessions, partition and graph are empty.
 */
import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { deleteSession, totalItems, uncount } from './erasure';
import { inParallel } from './in-parallel';
import { addCounts, deletePartition, type CountsByKind } from './partition-delete';
import { queryPages } from './query-pages';
import type { TableCounters } from './table-counters';
import type { TableHandle } from './table-handle';
import { attribute, key, userIndex } from './table-layout';
import { transactionCancellation } from './transaction-cancellation';
import { userSessionsQuery } from './user-sessions';

export interface ForgetProgress {
  userId: string;
  /** When the job started (ISO 8601). */
  startedAt: string;
  /** `paused`: this process stopped (or failed) before the end; the job resumes (module comment). */
  state: 'running' | 'paused' | 'done';
  /** The user's sessions when the job started. */
  sessions: number;
  /**
   * The items the job found when it started: its sessions' partitions, the user's partition and
   * graph. Absent in the progress a forget msg gets at first: counting them runs in the background.
   */
  total?: number;
  /** Items deleted so far. */
  items: number;
  /** Items deleted so far by kind (message, message-id, session, summary, user, preference, …). */
  deleted: CountsByKind;
}

/** What a forget msg gets back: the progress once the user's data is refused, and the end. */
export interface ForgetJob {
  progress: ForgetProgress;
  /** Resolves with the last progress when everything is deleted; rejects when this process stops first. */
  finished: Promise<ForgetProgress>;
  /** Whether this process runs the deletion (false: another process does, and this one follows it). */
  runsHere: boolean;
}

/** Told of each job's progress in this process, about once a second, and of its end. */
export type ForgetListener = (progress: ForgetProgress, origin: { resumed: boolean; error?: unknown }) => void;

export interface ForgetJobsOptions {
  /** How long a process's claim on a job lasts without being renewed (ms). */
  leaseMs?: number;
  /** How often progress is written to the job item and told to listeners (ms). */
  reportEveryMs?: number;
}

const defaults = { leaseMs: 30_000, reportEveryMs: 1_000 };
/** Session items marked `forgetting` at a time when a job starts. */
const marksInFlight = 8;
/**
 * Sessions deleted at a time. Each session is its own partition, which DynamoDB lets delete about
 * 1,000 items a second: several at once make a user with many sessions go that much faster, while
 * the BatchWrite calls in flight stay few (batch-write.ts).
 */
const sessionsInFlight = 4;
const jobAttributes = { owner: 'owner', leaseUntil: 'leaseUntil' } as const;
const markKind = 'forget-mark';

/** The process stopped the job; it resumes later (module comment). */
export class ForgetPausedError extends Error {
  override name = 'ForgetPausedError';
  constructor(readonly userId: string) {
    super(`forgetting user "${userId}" paused: this connection closed before the end; it resumes at the next start or forget`);
  }
}

function progressOf(item: Record<string, unknown>): ForgetProgress {
  return {
    userId: String(item['userId']),
    startedAt: String(item['startedAt']),
    state: 'running',
    sessions: Number(item['sessions'] ?? 0),
    ...(item['total'] !== undefined ? { total: Number(item['total']) } : {}),
    items: Number(item['items'] ?? 0),
    deleted: { ...(item['deleted'] as CountsByKind | undefined) },
  };
}

export class ForgetJobs {
  private readonly options: typeof defaults;
  /** This process, as the owner of the jobs it runs. */
  private readonly owner = randomUUID();
  private readonly running = new Map<string, Runner>();
  private readonly listeners = new Set<ForgetListener>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly table: TableHandle,
    private readonly counters: TableCounters,
    options: ForgetJobsOptions = {},
  ) {
    this.options = { ...defaults, ...options };
  }

  onProgress(listener: ForgetListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts forgetting the user, or joins the job that runs. Resolves once no read of the user's data
   * can succeed; the deletion goes on in the background.
   */
  async start(userId: string): Promise<ForgetJob> {
    const here = this.running.get(userId);
    if (here) return here.job();
    const nowMs = this.table.now();
    const startedAt = new Date(nowMs).toISOString();
    try {
      await this.table.documents.send(new PutCommand({
        TableName: this.table.tableName,
        Item: {
          ...key.forgetJob(userId),
          kind: 'forget',
          userId,
          startedAt,
          items: 0,
          deleted: {},
          [jobAttributes.owner]: this.owner,
          [jobAttributes.leaseUntil]: nowMs + this.options.leaseMs,
          [attribute.gsi1PartitionKey]: key.forgetJobs,
          [attribute.gsi1SortKey]: key.forgetJobsSort(startedAt, userId),
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': attribute.partitionKey },
      }));
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      return this.joinOrTakeOver(userId);
    }
    const runner = this.runner({ userId, startedAt, state: 'running', sessions: 0, items: 0, deleted: {} }, false);
    await runner.run(true);
    return runner.job();
  }

  /**
   * Takes over the table's unfinished jobs whose process is gone (its lease ran out), and looks
   * again when the lease of one whose process may still live runs out. Resolves with how many it took.
   */
  async resumeUnfinished(): Promise<number> {
    let taken = 0;
    for await (const page of queryPages(this.table.documents, {
      TableName: this.table.tableName,
      IndexName: userIndex,
      KeyConditionExpression: '#pk = :jobs',
      ExpressionAttributeNames: { '#pk': attribute.gsi1PartitionKey },
      ExpressionAttributeValues: { ':jobs': key.forgetJobs },
    })) {
      for (const item of page.Items ?? []) {
        const userId = String(item['userId']);
        if (this.closed || this.running.has(userId)) continue;
        const leaseLeft = Number(item[jobAttributes.leaseUntil] ?? 0) - this.table.now();
        if (leaseLeft > 0) {
          this.retryAfter(leaseLeft);
          continue;
        }
        if (await this.takeOver(userId, item, true)) taken++;
      }
    }
    return taken;
  }

  /** Pauses every job this process runs (after the page at hand) and gives up their leases. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    await Promise.all([...this.running.values()].map((runner) => runner.pause()));
  }

  /** The job exists: run it here if its process is gone, else follow it. */
  private async joinOrTakeOver(userId: string): Promise<ForgetJob> {
    const { Item } = await this.table.documents.send(
      new GetCommand({ TableName: this.table.tableName, Key: key.forgetJob(userId), ConsistentRead: true }),
    );
    if (!Item) return this.start(userId); // it ended in between: this forget starts a new one
    const runner = this.running.get(userId);
    if (runner) return runner.job();
    const leaseOver = Number(Item[jobAttributes.leaseUntil] ?? 0) <= this.table.now() || Item[jobAttributes.owner] === this.owner;
    if (leaseOver) {
      const taken = await this.takeOver(userId, Item, false);
      if (taken) return taken.job();
    }
    return this.follow(progressOf(Item));
  }

  /** Claims the job (only if its lease is still the one read) and runs it; undefined if another process was first. */
  private async takeOver(userId: string, item: Record<string, unknown>, resumed: boolean): Promise<Runner | undefined> {
    try {
      await this.table.documents.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: key.forgetJob(userId),
        UpdateExpression: 'SET #owner = :me, #lease = :lease',
        ConditionExpression: '#lease = :seen',
        ExpressionAttributeNames: { '#owner': jobAttributes.owner, '#lease': jobAttributes.leaseUntil },
        ExpressionAttributeValues: { ':me': this.owner, ':lease': this.table.now() + this.options.leaseMs, ':seen': item[jobAttributes.leaseUntil] ?? 0 },
      }));
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
    const runner = this.runner(progressOf(item), resumed);
    // A job whose process stopped before it had marked every session does that first.
    await runner.run(item['sessions'] === undefined);
    return runner;
  }

  /**
   * A job another process runs: its progress read from the job item about once a second, until it
   * is gone; taken over here if that process's lease runs out (it died).
   */
  private follow(first: ForgetProgress): ForgetJob {
    const finished = (async (): Promise<ForgetProgress> => {
      let last = first;
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, this.options.reportEveryMs));
        if (this.closed) throw new ForgetPausedError(first.userId);
        const { Item } = await this.table.documents.send(
          new GetCommand({ TableName: this.table.tableName, Key: key.forgetJob(first.userId), ConsistentRead: true }),
        );
        if (!Item) return { ...last, state: 'done' };
        last = progressOf(Item);
        const runner = this.running.get(first.userId) ?? (Number(Item[jobAttributes.leaseUntil] ?? 0) <= this.table.now()
          ? await this.takeOver(first.userId, Item, true)
          : undefined);
        if (runner) return runner.finished;
      }
    })();
    finished.catch(() => undefined);
    return { progress: first, finished, runsHere: false };
  }

  private retryAfter(ms: number): void {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.resumeUnfinished().catch(() => undefined); // the next start or forget tries again
    }, ms + 100);
    timer.unref();
    this.retryTimers.add(timer);
  }

  private runner(progress: ForgetProgress, resumed: boolean): Runner {
    const runner = new Runner(this.table, this.counters, this.owner, this.options, progress, (p, error) => {
      for (const listener of this.listeners) listener(p, { resumed, ...(error !== undefined ? { error } : {}) });
    });
    this.running.set(progress.userId, runner);
    void runner.finished.then(
      () => this.running.delete(progress.userId),
      () => this.running.delete(progress.userId),
    );
    return runner;
  }
}

/** One job run by this process. */
class Runner {
  readonly finished: Promise<ForgetProgress>;
  private resolve!: (progress: ForgetProgress) => void;
  private reject!: (error: unknown) => void;
  private pausing = false;
  private ran: Promise<void> = Promise.resolve();
  private reportedAt = 0;

  constructor(
    private readonly table: TableHandle,
    private readonly counters: TableCounters,
    private readonly owner: string,
    private readonly options: typeof defaults,
    private readonly progress: ForgetProgress,
    private readonly tell: (progress: ForgetProgress, error?: unknown) => void,
  ) {
    this.finished = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Whoever joins may not wait for the end; an unwatched end must not be an unhandled rejection.
    this.finished.catch(() => undefined);
  }

  job(): ForgetJob {
    return { progress: { ...this.progress, deleted: { ...this.progress.deleted } }, finished: this.finished, runsHere: true };
  }

  /**
   * Marks the user's sessions first when asked to, and resolves then: from that moment nothing of
   * the user can be read. Counting what is to delete (when not yet counted) and deleting go on in
   * the background; the outcome goes to `finished` and the listeners.
   */
  run(mark: boolean): Promise<void> {
    const marked = mark ? this.mark() : Promise.resolve();
    this.ran = marked
      .then(() => (this.progress.total === undefined ? this.count() : undefined))
      .then(() => this.deleteAll())
      .then(
        () => {
          this.progress.state = 'done';
          this.tell(this.job().progress);
          this.resolve(this.job().progress);
        },
        async (error: unknown) => {
          this.progress.state = 'paused';
          // What was deleted is kept in the job item, and the lease let go, so any process can resume.
          await this.save({ release: true }).catch(() => undefined);
          this.tell(this.job().progress, error);
          this.reject(error);
        },
      );
    return marked;
  }

  /**
   * Marks the user's sessions: `forgetting` on the session item (what stores and the session checks
   * read) and, in the same transaction, the session's forget mark (what a read of its newest
   * messages meets: table-layout.ts). Their reads and stores are refused from then on.
   */
  private async mark(): Promise<void> {
    const sessionIds = await this.sessionIds();
    await inParallel(sessionIds, marksInFlight, async (sessionId) => {
      try {
        await this.table.documents.send(new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table.tableName,
                Key: key.session(sessionId),
                UpdateExpression: 'SET #forgetting = :startedAt',
                ConditionExpression: 'attribute_exists(#pk)',
                ExpressionAttributeNames: { '#forgetting': 'forgetting', '#pk': attribute.partitionKey },
                ExpressionAttributeValues: { ':startedAt': this.progress.startedAt },
              },
            },
            { Put: { TableName: this.table.tableName, Item: { ...key.forgetMark(sessionId), kind: markKind } } },
          ],
        }));
      } catch (error) {
        // A session cleared in between has nothing left to mark.
        if (transactionCancellation(error)?.codes[0] !== 'ConditionalCheckFailed') throw error;
      }
    });
    this.progress.sessions = sessionIds.length;
    await this.save({ sessions: sessionIds.length });
  }

  /** Counts the items to delete (COUNT Queries: billed as reading them once more, about a tenth of the deletes' cost). */
  private async count(): Promise<void> {
    const { userId } = this.progress;
    const sessionIds = await this.sessionIds();
    let total = 0;
    await inParallel(sessionIds, marksInFlight, async (sessionId) => {
      const items = await this.itemsIn(key.sessionPartition(sessionId));
      total += items;
    });
    const own = await Promise.all([this.itemsIn(key.userPartition(userId)), this.itemsIn(key.graphPartition({ userId }))]);
    // The job item itself is in the user's partition and is not the user's data; what a paused run deleted is gone already.
    this.progress.total = own.reduce((sum, n) => sum + n, total) - 1 + this.progress.items;
    await this.save({ total: this.progress.total });
    this.tell(this.job().progress);
    this.reportedAt = this.table.now();
  }

  async pause(): Promise<void> {
    this.pausing = true;
    await this.ran;
  }

  private async deleteAll(): Promise<void> {
    const { userId } = this.progress;
    const onPage = (counts: CountsByKind) => this.deleted(counts);
    // Sessions a store started while the job began are found by listing again until none is left.
    for (let sessionIds = await this.sessionIds(); sessionIds.length > 0; sessionIds = await this.sessionIds()) {
      // Every session under way ends (or stops at its next page) before the job settles, so what the
      // job item and the counters say is all that was deleted; after a failure no new one begins.
      const failures: unknown[] = [];
      await inParallel(sessionIds, sessionsInFlight, async (sessionId) => {
        if (failures.length === 0) await deleteSession(this.table, sessionId, onPage).catch((error: unknown) => failures.push(error));
      });
      if (failures.length > 0) throw failures[0];
    }
    const jobKey = key.forgetJob(userId);
    for (const pk of [key.graphPartition({ userId }), key.userPartition(userId)]) {
      await deletePartition({ documents: this.table.documents, tableName: this.table.tableName, pk, deferred: (sk) => sk === jobKey.sk, onPage });
    }
    await this.table.documents.send(new DeleteCommand({
      TableName: this.table.tableName,
      Key: jobKey,
      ConditionExpression: '#owner = :me',
      ExpressionAttributeNames: { '#owner': jobAttributes.owner },
      ExpressionAttributeValues: { ':me': this.owner },
    }));
  }

  /** One page deleted: off the counters at once; into the job item and to the listeners about once a second. */
  private async deleted(page: CountsByKind): Promise<void> {
    // The job's own marks are not the user's data.
    const { [markKind]: _marks, ...counts } = page;
    uncount(this.counters, counts);
    addCounts(this.progress.deleted, counts);
    this.progress.items += totalItems(counts);
    if (this.pausing) throw new ForgetPausedError(this.progress.userId);
    if (this.table.now() - this.reportedAt >= this.options.reportEveryMs) {
      this.reportedAt = this.table.now();
      await this.save({});
      this.tell(this.job().progress);
    }
  }

  /** Writes the progress (and renews or gives up the lease), only while this process holds the job. */
  private async save(extra: { total?: number; sessions?: number; release?: boolean }): Promise<void> {
    const values: Record<string, unknown> = {
      ':items': this.progress.items,
      ':deleted': this.progress.deleted,
      ':lease': extra.release ? 0 : this.table.now() + this.options.leaseMs,
      ':me': this.owner,
    };
    const sets = ['#items = :items', '#deleted = :deleted', '#lease = :lease'];
    const names: Record<string, string> = { '#items': 'items', '#deleted': 'deleted', '#lease': jobAttributes.leaseUntil, '#owner': jobAttributes.owner };
    for (const field of ['total', 'sessions'] as const) {
      if (extra[field] === undefined) continue;
      sets.push(`#${field} = :${field}`);
      names[`#${field}`] = field;
      values[`:${field}`] = extra[field];
    }
    await this.table.documents.send(new UpdateCommand({
      TableName: this.table.tableName,
      Key: key.forgetJob(this.progress.userId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: '#owner = :me',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }));
  }

  /** The user's sessions through the user index, expired ones included. */
  private async sessionIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const page of queryPages(this.table.documents, { ...userSessionsQuery(this.table, this.progress.userId), ProjectionExpression: 'sessionId' })) {
      ids.push(...(page.Items ?? []).map((item) => String(item['sessionId'])));
    }
    return ids;
  }

  /** How many items a partition holds (a COUNT Query: billed as reading them, returns none). */
  private async itemsIn(pk: string): Promise<number> {
    let count = 0;
    for await (const page of queryPages(this.table.documents, {
      TableName: this.table.tableName,
      KeyConditionExpression: '#pk = :pk',
      FilterExpression: '#kind <> :mark',
      ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#kind': 'kind' },
      ExpressionAttributeValues: { ':pk': pk, ':mark': markKind },
      Select: 'COUNT',
    })) {
      count += page.Count ?? 0;
    }
    return count;
  }
}
