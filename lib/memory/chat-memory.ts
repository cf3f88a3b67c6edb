/**
 * Conversation memory on DynamoDB, with no Node-RED in it: the nodes call this, and so can any
 * TypeScript program. Requests are typed by the schemas in ../schemas; use their `parse…` functions
 * on input you do not control.
 */
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ContextRequest } from '../schemas/context-request';
import type { SummaryRequest } from '../schemas/summary-request';
import { buildContext, messageTokens, type ContextResult, type StoredMessage, type StoredSummary } from './context-builder';
import { chatMessage } from './chat-message';
import type { ClearRequest, ForgetRequest } from '../schemas/clear-request';
import type { SessionsRequest } from '../schemas/sessions-request';
import type { HistoryRequest } from '../schemas/history-request';
import type { StoreRequest } from '../schemas/store-request';
import { batchWrite } from './batch-write';
import { MemoryInputError, SessionOwnershipError } from '../errors/input-errors';
import { MemoryGraph } from './graph';
import { ulidBounds } from './message-ids';
import { messageUlid, messageWrites, recordFromItem, type MessageRecord } from './message-record';
import { Preferences } from './preferences';
import { storeMessages } from './store-messages';
import { addCounts, deletePartition, type CountsByKind } from './partition-delete';
import { pageCursor, queryPages } from './query-pages';
import { attribute, key, prefix, statsShards, userIndex } from './table-layout';
import { updateExpression } from './update-expression';

export interface ChatMemoryOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** Messages stored without a TTL of their own expire after this many days; none: they stay. */
  defaultTtlDays?: number;
  /** The clock, for tests. */
  now?: () => number;
}

export interface ClearResult {
  /** Messages deleted. */
  messages: number;
  /** Items deleted in all: messages, messageId guards and the session item. */
  items: number;
}

export interface ForgetResult {
  /** Items deleted by kind (message, message-id, session, preference, preference-change, entity, edge-out, edge-in). */
  deleted: CountsByKind;
  items: number;
}

export interface SessionSummary {
  sessionId: string;
  userId: string;
  messageCount: number;
  /** First activity. */
  createdAt: string;
  lastActivityAt: string;
}

export interface SessionPage {
  sessions: SessionSummary[];
  /** Present when there are more: pass it as `cursor` for the next page. */
  cursor?: string;
}

const defaultSessionsLimit = 20;

export interface SessionStats {
  sessionId: string;
  userId?: string;
  messageCount: number;
  /** Tokens of the stored messages' content (o200k_base), counted when each was stored. */
  tokens: number;
  /** First and last activity; absent when the session has no messages. */
  createdAt?: string;
  lastActivityAt?: string;
}

export interface TableStats {
  sessions: number;
  messages: number;
  users: number;
}

/** Facts rendered into the context: at most this many valid relationships of the user's graph. */
const maxFacts = 200;
/**
 * Message pages while reading newest-first until something is enough: the first is small (most
 * contexts need few messages), each next one twice the last, so a big budget takes a few round
 * trips instead of dozens, and reads at most about twice what it uses.
 */
const firstMessagePage = 50;
const maxMessagePage = 1000;

function totalItems(counts: CountsByKind): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

function sessionSummary(item: Record<string, unknown>): SessionSummary {
  return {
    sessionId: String(item['sessionId']),
    userId: String(item['userId']),
    messageCount: Number(item['messageCount'] ?? 0),
    createdAt: String(item['createdAt']),
    lastActivityAt: String(item['lastActivityAt']),
  };
}

const userSessionsNames = { '#pk': attribute.gsi1PartitionKey, '#sk': attribute.gsi1SortKey };

/** What varies between pages of a user's sessions (the user index partition is the user's). */
const sessionCursorKeys = [attribute.partitionKey, attribute.sortKey, attribute.gsi1SortKey] as const;

const defaultHistoryLimit = 20;

function epochMs(instant: string | number): number {
  return typeof instant === 'number' ? instant : Date.parse(instant);
}

export class ChatMemory {
  private readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  private readonly defaultTtlDays: number | undefined;
  private readonly now: () => number;
  /** The users' preferences (get, set, merge, delete, history) on the same table. */
  readonly preferences: Preferences;
  /** The entity graph in the same table (see graph.ts). */
  readonly graph: MemoryGraph;

  constructor(options: ChatMemoryOptions) {
    this.documents = options.documents;
    this.tableName = options.tableName;
    this.defaultTtlDays = options.defaultTtlDays;
    this.now = options.now ?? Date.now;
    this.preferences = new Preferences({ documents: this.documents, tableName: this.tableName, now: this.now });
    this.graph = new MemoryGraph({ documents: this.documents, tableName: this.tableName, now: this.now });
  }

  /** Stores the payload's message(s) in order; returns what was stored (see MessageRecord.duplicate). */
  async store(request: StoreRequest): Promise<MessageRecord[]> {
    const nowMs = this.now();
    const ttlDays = request.ttlDays ?? this.defaultTtlDays;
    const expiresAt = ttlDays === undefined ? undefined : Math.floor(nowMs / 1000 + ttlDays * 86400);
    const writes = messageWrites(request, nowMs, expiresAt);
    return storeMessages(
      { documents: this.documents, tableName: this.tableName, sessionId: request.sessionId, userId: request.userId, expiresAt },
      writes,
    );
  }

  /**
   * The newest `limit` messages (within since/until and the token budget), oldest first. Reads
   * newest first and stops as soon as it has them, so the cost does not grow with the session.
   */
  async history(request: HistoryRequest): Promise<MessageRecord[]> {
    await this.assertOwner(request.sessionId, request.userId);
    const limit = request.limit ?? defaultHistoryLimit;
    const lowest = prefix.message + (request.since === undefined ? '' : ulidBounds(epochMs(request.since)).lowest);
    const highest = prefix.message + (request.until === undefined ? '~' : ulidBounds(epochMs(request.until)).highest);
    // DynamoDB refuses a BETWEEN whose bounds are the wrong way round, with a message about its syntax.
    if (lowest > highest) throw new MemoryInputError('input.since-after-until', { since: String(request.since), until: String(request.until) });
    const newestFirst: MessageRecord[] = [];
    let tokensLeft = request.tokenBudget ?? Infinity;
    const pages = queryPages(this.documents, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lowest AND :highest',
      FilterExpression: 'attribute_not_exists(#expiresAt) OR #expiresAt > :now',
      ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey, '#expiresAt': attribute.expiresAt },
      ExpressionAttributeValues: {
        ':pk': key.sessionPartition(request.sessionId),
        ':lowest': lowest,
        ':highest': highest,
        ':now': Math.floor(this.now() / 1000),
      },
      ScanIndexForward: false,
      // Limit counts items before the expiry filter: later pages are read only when some had expired.
      Limit: limit,
    });
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const record = recordFromItem(item);
        if (request.tokenBudget !== undefined) {
          const tokens = messageTokens(chatMessage(record), 'o200k_base');
          if (tokens > tokensLeft) return newestFirst.reverse();
          tokensLeft -= tokens;
        }
        newestFirst.push(record);
        if (newestFirst.length === limit) return newestFirst.reverse();
      }
    }
    return newestFirst.reverse();
  }

  /**
   * Stores (replaces) the session's summary, which covers the session up to and including the
   * message `covers`. A summary covering less than the stored one is not written (summaries of
   * overlapping runs: the furthest wins). One GetItem of the covered message, one conditional PutItem.
   */
  async storeSummary(request: SummaryRequest): Promise<{ stored: boolean; summary: StoredSummary }> {
    await this.assertOwner(request.sessionId, request.userId);
    const covered = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: key.message(request.sessionId, request.covers), ConsistentRead: true }),
    );
    if (!covered.Item) throw new MemoryInputError('input.covers-missing', { sessionId: request.sessionId, covers: request.covers });
    const summary: StoredSummary = {
      summary: request.summary,
      covers: request.covers,
      coversMessageId: String(covered.Item['messageId']),
      coversCreatedAt: String(covered.Item['createdAt']),
      updatedAt: new Date(this.now()).toISOString(),
    };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key.summary(request.sessionId), kind: 'summary', sessionId: request.sessionId, ...summary },
          ConditionExpression: 'attribute_not_exists(#covers) OR #covers <= :covers',
          ExpressionAttributeNames: { '#covers': 'covers' },
          ExpressionAttributeValues: { ':covers': request.covers },
        }),
      );
      return { stored: true, summary };
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      return { stored: false, summary: (await this.summary(request.sessionId))! };
    }
  }

  /** The session's summary, if one is stored. */
  async summary(sessionId: string): Promise<StoredSummary | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: key.summary(sessionId), ConsistentRead: true }));
    if (!Item) return undefined;
    const { summary, covers, coversMessageId, coversCreatedAt, updatedAt } = Item as Record<string, string>;
    return { summary: summary!, covers: covers!, updatedAt: updatedAt!, ...(coversMessageId ? { coversMessageId } : {}), ...(coversCreatedAt ? { coversCreatedAt } : {}) };
  }

  /**
   * The context for one LLM call (see context-builder.ts): system prompt with preferences, facts and
   * summary, the newest messages after the summary that fit, the new message last; and, when the
   * messages not covered by the summary reach `summaryThreshold`, the ones to summarise.
   */
  async context(request: ContextRequest): Promise<ContextResult> {
    await this.assertOwner(request.sessionId, request.userId);
    return buildContext(
      {
        preferences: async (userId) => (await this.preferences.get({ userId })).preferences,
        facts: (userId) => this.graph.validRelationships({ userId }, maxFacts),
        summary: (sessionId) => this.summary(sessionId),
        newestMessages: (sessionId, after, enough) => this.messagesAfter(sessionId, after, false, enough),
        oldestMessages: async (sessionId, after, limit) =>
          (await this.messagesAfter(sessionId, after, true, (read) => read.length >= limit)).messages.slice(0, limit),
      },
      request,
    );
  }

  /** Messages after a ULID, a page at a time, newest or oldest first, until `enough` or the end. */
  private async messagesAfter(
    sessionId: string,
    afterUlid: string | undefined,
    oldestFirst: boolean,
    enough: (read: StoredMessage[]) => boolean,
  ): Promise<{ messages: StoredMessage[]; exhausted: boolean }> {
    const messages: StoredMessage[] = [];
    let startKey: Record<string, unknown> | undefined;
    let pageSize = firstMessagePage;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lowest AND :highest',
          FilterExpression: 'attribute_not_exists(#expiresAt) OR #expiresAt > :now',
          ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey, '#expiresAt': attribute.expiresAt },
          ExpressionAttributeValues: {
            ':pk': key.sessionPartition(sessionId),
            ':lowest': afterUlid === undefined ? prefix.message : key.afterMessage(afterUlid),
            ':highest': prefix.message + '~',
            ':now': Math.floor(this.now() / 1000),
          },
          ScanIndexForward: oldestFirst,
          Limit: pageSize,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      pageSize = Math.min(pageSize * 2, maxMessagePage);
      for (const item of page.Items ?? []) messages.push({ ulid: messageUlid(item), record: recordFromItem(item) });
      startKey = page.LastEvaluatedKey;
      if (startKey && enough(messages)) return { messages, exhausted: false };
    } while (startKey);
    return { messages, exhausted: true };
  }

  /** A session's statistics from its session item: one GetItem. */
  async sessionStats(request: { sessionId: string; userId?: string }): Promise<SessionStats> {
    await this.assertOwner(request.sessionId, request.userId);
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: key.session(request.sessionId), ConsistentRead: true }));
    if (!Item) return { sessionId: request.sessionId, messageCount: 0, tokens: 0 };
    return {
      sessionId: request.sessionId,
      ...(Item['userId'] !== undefined ? { userId: String(Item['userId']) } : {}),
      messageCount: Number(Item['messageCount'] ?? 0),
      tokens: Number(Item['tokens'] ?? 0),
      createdAt: String(Item['createdAt']),
      lastActivityAt: String(Item['lastActivityAt']),
    };
  }

  /**
   * The table's sessions, messages and users: the sum of the counter shards, one BatchGetItem of
   * `statsShards` small items, whatever the table's size. Counts what was stored and cleared through
   * this pack; items DynamoDB's TTL deleted are still counted.
   */
  async tableStats(): Promise<TableStats> {
    const totals: TableStats = { sessions: 0, messages: 0, users: 0 };
    let keys: Record<string, unknown>[] = Array.from({ length: statsShards }, (_, shard) => key.statsShard(shard));
    while (keys.length > 0) {
      const result = await this.documents.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of result.Responses?.[this.tableName] ?? []) {
        totals.sessions += Number(item['sessions'] ?? 0);
        totals.messages += Number(item['messages'] ?? 0);
        totals.users += Number(item['users'] ?? 0);
      }
      keys = (result.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
    return totals;
  }

  /** Subtracts what a clear or forget deleted from one random counter shard. */
  private async subtractCounts(counts: CountsByKind): Promise<void> {
    const delta = { sessions: -(counts['session'] ?? 0), messages: -(counts['message'] ?? 0), users: -(counts['user'] ?? 0) };
    const add = Object.fromEntries(Object.entries(delta).filter(([, n]) => n !== 0));
    if (Object.keys(add).length === 0) return;
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key.statsShard(Math.floor(Math.random() * statsShards)),
        ...updateExpression({ set: { kind: 'stats' }, add }),
      }),
    );
  }

  /**
   * Deletes every item of the session: messages, messageId guards, and last the session item (so an
   * interrupted clear still shows in the user's sessions, and running it again finishes it).
   */
  async clearSession(request: ClearRequest): Promise<ClearResult> {
    await this.assertOwner(request.sessionId, request.userId);
    const counts = await this.deleteSession(request.sessionId);
    return { messages: counts['message'] ?? 0, items: totalItems(counts) };
  }

  /** A user's sessions, newest activity first, a page at a time (pass `cursor` on for the next). */
  async listSessions(request: SessionsRequest): Promise<SessionPage> {
    const partition = key.userSessions(request.userId);
    const query = this.userSessionsQuery(partition);
    const page = await this.documents.send(new QueryCommand({
      ...query,
      FilterExpression: 'attribute_not_exists(#expiresAt) OR #expiresAt > :now',
      ExpressionAttributeNames: { ...userSessionsNames, '#expiresAt': attribute.expiresAt },
      ExpressionAttributeValues: { ...query.ExpressionAttributeValues, ':now': Math.floor(this.now() / 1000) },
      Limit: request.limit ?? defaultSessionsLimit,
      ...(request.cursor ? { ExclusiveStartKey: pageCursor.decode(request.cursor, { [attribute.gsi1PartitionKey]: partition }, sessionCursorKeys) } : {}),
    }));
    return {
      sessions: (page.Items ?? []).map(sessionSummary),
      ...(page.LastEvaluatedKey ? { cursor: pageCursor.encode(page.LastEvaluatedKey, sessionCursorKeys) } : {}),
    };
  }

  /**
   * Deletes everything this pack keeps for a user: every session of theirs (messages and session
   * items), their preferences and preference history, and their graph. Counts come back by kind.
   * Running it again after an interruption finishes the job.
   */
  async forgetUser(request: ForgetRequest): Promise<ForgetResult> {
    const { userId } = request;
    const sessionIds: string[] = [];
    // Owned sessions are found through the user index, expired ones included.
    const pages = queryPages(this.documents, { ...this.userSessionsQuery(key.userSessions(userId)), ProjectionExpression: 'sessionId' });
    for await (const page of pages) sessionIds.push(...(page.Items ?? []).map((item) => String(item['sessionId'])));
    const counts: CountsByKind = {};
    for (const sessionId of sessionIds) addCounts(counts, await this.deleteSession(sessionId));
    for (const pk of [key.userPartition(userId), key.graphPartition({ userId })]) {
      const deleted = (await deletePartition({ documents: this.documents, tableName: this.tableName, pk })).counts;
      await this.subtractCounts({ user: deleted['user'] ?? 0 });
      addCounts(counts, deleted);
    }
    return { deleted: counts, items: totalItems(counts) };
  }

  /** The session's items, its session item last; counts by kind. */
  private async deleteSession(sessionId: string): Promise<CountsByKind> {
    const sessionKey = key.session(sessionId);
    const { counts, deferredKeys } = await deletePartition({
      documents: this.documents,
      tableName: this.tableName,
      pk: sessionKey.pk,
      deferred: (sk) => sk === sessionKey.sk,
    });
    if (deferredKeys.length > 0) {
      await batchWrite(this.documents, this.tableName, deferredKeys.map((Key) => ({ DeleteRequest: { Key } })));
      counts['session'] = (counts['session'] ?? 0) + deferredKeys.length;
    }
    await this.subtractCounts(counts);
    return counts;
  }

  /** The user index's session entries of one user, newest activity first. */
  private userSessionsQuery(partition: string) {
    return {
      TableName: this.tableName,
      IndexName: userIndex,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :sessions)',
      ExpressionAttributeNames: userSessionsNames,
      ExpressionAttributeValues: { ':pk': partition, ':sessions': prefix.session },
      ScanIndexForward: false,
    };
  }

  /** Refuses, before anything is read or written, a user who does not own the session. */
  private async assertOwner(sessionId: string, userId: string | undefined): Promise<void> {
    if (userId === undefined) return;
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: key.session(sessionId),
        ProjectionExpression: 'userId',
        ConsistentRead: true,
      }),
    );
    const owner = Item?.['userId'];
    if (owner !== undefined && owner !== userId) throw new SessionOwnershipError(sessionId);
  }
}
