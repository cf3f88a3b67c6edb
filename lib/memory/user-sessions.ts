/**
 * Session items read on their own: one session's statistics, and a user's sessions listed through
 * index gsi1 (newest activity first).
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SessionsRequest } from '../schemas/sessions-request';
import { pageCursor } from './query-pages';
import { checkOwner, readAsUser } from './session-owner';
import type { TableHandle } from './table-handle';
import { attribute, key, prefix, userIndex } from './table-layout';
import { isSessionLive } from './session-expiry';

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

const defaultSessionsLimit = 20;
const userSessionsNames = { '#pk': attribute.gsi1PartitionKey, '#sk': attribute.gsi1SortKey };
/** What varies between pages of a user's sessions (the user index partition is the user's). */
const sessionCursorKeys = [attribute.partitionKey, attribute.sortKey, attribute.gsi1SortKey] as const;

function sessionSummary(item: Record<string, unknown>): SessionSummary {
  return {
    sessionId: String(item['sessionId']),
    userId: String(item['userId']),
    messageCount: Number(item['messageCount'] ?? 0),
    createdAt: String(item['createdAt']),
    lastActivityAt: String(item['lastActivityAt']),
  };
}

/** The user index's session entries of one user, newest activity first. */
export function userSessionsQuery(table: TableHandle, userId: string) {
  return {
    TableName: table.tableName,
    IndexName: userIndex,
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :sessions)',
    ExpressionAttributeNames: userSessionsNames,
    ExpressionAttributeValues: { ':pk': key.userSessions(userId), ':sessions': prefix.session } as Record<string, unknown>,
    ScanIndexForward: false,
  };
}

/** A user's sessions, newest activity first, a page at a time (pass `cursor` on for the next). */
export async function listSessions(table: TableHandle, request: SessionsRequest): Promise<SessionPage> {
  const nowMs = table.now();
  const page = await readAsUser(table, request.userId, () => table.documents.send(new QueryCommand({
    ...userSessionsQuery(table, request.userId),
    Limit: request.limit ?? defaultSessionsLimit,
    ...(request.cursor
      ? { ExclusiveStartKey: pageCursor.decode(request.cursor, { [attribute.gsi1PartitionKey]: key.userSessions(request.userId) }, sessionCursorKeys) }
      : {}),
  })));
  return {
    sessions: (page.Items ?? []).filter((item) => isSessionLive(item, nowMs)).map(sessionSummary),
    ...(page.LastEvaluatedKey ? { cursor: pageCursor.encode(page.LastEvaluatedKey, sessionCursorKeys) } : {}),
  };
}

/** A session's statistics from its session item, which also tells its owner: one GetItem. */
export async function sessionStats(table: TableHandle, request: { sessionId: string; userId?: string }): Promise<SessionStats> {
  const { Item } = await table.documents.send(new GetCommand({ TableName: table.tableName, Key: key.session(request.sessionId), ConsistentRead: true }));
  checkOwner(Item, request.sessionId, request.userId);
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
