/**
 * Conversation memory on DynamoDB, with no Node-RED in it: the nodes call this, and so can any
 * TypeScript program. Requests are typed by the schemas in ../schemas; use their `parse…` functions
 * on input you do not control.
 */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClearRequest } from '../schemas/clear-request';
import type { HistoryRequest } from '../schemas/history-request';
import type { StoreRequest } from '../schemas/store-request';
import { batchWrite } from './batch-write';
import { SessionOwnershipError } from './errors';
import { MemoryGraph } from './graph';
import { ulidBounds } from './message-ids';
import { messageWrites, recordFromItem, type MessageRecord } from './message-record';
import { storeMessages } from './store-messages';
import { attribute, key, prefix } from './table-layout';
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

const defaultHistoryLimit = 20;

function epochMs(instant: string | number): number {
  return typeof instant === 'number' ? instant : Date.parse(instant);
}

export class ChatMemory {
  private readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  private readonly defaultTtlDays: number | undefined;
  private readonly now: () => number;
  /** The entity graph in the same table (see graph.ts). */
  readonly graph: MemoryGraph;

  constructor(options: ChatMemoryOptions) {
    this.documents = options.documents;
    this.tableName = options.tableName;
    this.defaultTtlDays = options.defaultTtlDays;
    this.now = options.now ?? Date.now;
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
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
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
          Limit: limit - newestFirst.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const record = recordFromItem(item);
        if (request.tokenBudget !== undefined) {
          const tokens = countTokens(contentText(record.content));
          if (tokens > tokensLeft) return newestFirst.reverse();
          tokensLeft -= tokens;
        }
        newestFirst.push(record);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && newestFirst.length < limit);
    return newestFirst.reverse();
  }

  /**
   * Deletes every item of the session: messages, messageId guards, and last the session item (so an
   * interrupted clear still shows in the user's sessions, and running it again finishes it).
   */
  async clearSession(request: ClearRequest): Promise<ClearResult> {
    await this.assertOwner(request.sessionId, request.userId);
    const sessionKey = key.session(request.sessionId);
    const result: ClearResult = { messages: 0, items: 0 };
    let sessionItemFound = false;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ProjectionExpression: '#pk, #sk',
          ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey },
          ExpressionAttributeValues: { ':pk': sessionKey.pk },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      const keys = (page.Items ?? []).filter((item) => {
        if (item[attribute.sortKey] !== sessionKey.sk) return true;
        sessionItemFound = true;
        return false;
      });
      await batchWrite(this.documents, this.tableName, keys.map((Key) => ({ DeleteRequest: { Key } })));
      result.items += keys.length;
      result.messages += keys.filter((k) => String(k[attribute.sortKey]).startsWith(prefix.message)).length;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    if (sessionItemFound) {
      await batchWrite(this.documents, this.tableName, [{ DeleteRequest: { Key: sessionKey } }]);
      result.items += 1;
    }
    return result;
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
