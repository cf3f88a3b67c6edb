/**
 * Conversation memory on DynamoDB, with no Node-RED in it: the nodes call this, and so can any
 * TypeScript program. Requests are typed by the schemas in ../schemas; use their `parse…` functions
 * on input you do not control.
 */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClearRequest, ForgetRequest } from '../schemas/clear-request';
import type { SessionsRequest } from '../schemas/sessions-request';
import type { HistoryRequest } from '../schemas/history-request';
import type { StoreRequest } from '../schemas/store-request';
import { batchWrite } from './batch-write';
import { SessionOwnershipError } from './errors';
import { MemoryGraph } from './graph';
import { ulidBounds } from './message-ids';
import { messageWrites, recordFromItem, type MessageRecord } from './message-record';
import { Preferences } from './preferences';
import { storeMessages } from './store-messages';
import { addCounts, deletePartition, type CountsByKind } from './partition-delete';
import { pageCursor, queryPages } from './query-pages';
import { attribute, key, prefix, userIndex } from './table-layout';
import { contentText, countTokens } from './tokens';

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
          const tokens = countTokens(contentText(record.content));
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
      addCounts(counts, (await deletePartition({ documents: this.documents, tableName: this.tableName, pk })).counts);
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
