/**
 * Reading a session's messages: the newest N for the history node, and pages after a point (the
 * summary's coverage) for the context builder. Reads newest first and stops as soon as it has
 * enough, so the cost does not grow with the session.
 */
import type { HistoryRequest } from '../schemas/history-request';
import { chatMessage } from './chat-message';
import { messageTokens, type StoredMessage } from './context-builder';
import { MemoryInputError } from '../errors/input-errors';
import { ulidBounds } from './message-ids';
import { epochMs } from './instants';
import { messageUlid, recordFromItem, type MessageRecord } from './message-record';
import { queryPages } from './query-pages';
import { readAsOwner } from './session-owner';
import type { TableHandle } from './table-handle';
import { attribute, key, prefix } from './table-layout';
import { isLive } from './ttl-filter';

const defaultHistoryLimit = 20;
/**
 * Message pages while reading until something is enough: the first is small (most contexts need
 * few messages), each next one twice the last, so a big budget takes a few round trips instead of
 * dozens, and reads at most about twice what it uses.
 */
const firstMessagePage = 50;
const maxMessagePage = 1000;

/** A Query of the session's message items with sort keys from `lowest` to `highest` (expired ones included: see isLive). */
function messageQuery(table: TableHandle, sessionId: string, lowest: string, highest: string, oldestFirst: boolean, limit: number) {
  return {
    TableName: table.tableName,
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lowest AND :highest',
    ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey },
    ExpressionAttributeValues: { ':pk': key.sessionPartition(sessionId), ':lowest': lowest, ':highest': highest },
    ScanIndexForward: oldestFirst,
    Limit: limit,
  };
}

/**
 * The newest `limit` messages (within since/until and the token budget), oldest first. With a
 * userId, or an `until`, the session check runs beside the read.
 */
export async function history(table: TableHandle, request: HistoryRequest): Promise<MessageRecord[]> {
  const limit = request.limit ?? defaultHistoryLimit;
  const lowest = prefix.message + (request.since === undefined ? '' : ulidBounds(epochMs(request.since)).lowest);
  const highest = request.until === undefined ? key.messagesEnd : prefix.message + ulidBounds(epochMs(request.until)).highest;
  // DynamoDB refuses a BETWEEN whose bounds are the wrong way round, with a message about its syntax.
  if (lowest > highest) throw new MemoryInputError('input.since-after-until', { since: String(request.since), until: String(request.until) });
  const read = async () => {
    const newestFirst: MessageRecord[] = [];
    let tokensLeft = request.tokenBudget ?? Infinity;
    const nowMs = table.now();
    // Limit counts expired items too: later pages are read only when some had expired.
    for await (const page of queryPages(table.documents, messageQuery(table, request.sessionId, lowest, highest, false, limit))) {
      for (const item of page.Items ?? []) {
        refuseIfForgetting(item, request.sessionId);
        if (!isLive(item, nowMs)) continue;
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
  };
  // Without a user to check and up to the newest message, the read meets a forget mark itself;
  // otherwise the session item is read beside it (its owner, and whether its user is being forgotten).
  return request.userId === undefined && request.until === undefined ? read() : readAsOwner(table, request.sessionId, request.userId, read);
}

/** A read that meets its session's forget mark refuses the session (table-layout.ts). */
function refuseIfForgetting(item: Record<string, unknown>, sessionId: string): void {
  if (item[attribute.sortKey] === key.messagesEnd) throw new MemoryInputError('input.session-being-forgotten', { sessionId });
}

/** Messages after a ULID (all when undefined), newest or oldest first, a page at a time, until `enough` or the end. */
export async function messagesAfter(
  table: TableHandle,
  sessionId: string,
  afterUlid: string | undefined,
  oldestFirst: boolean,
  enough: (read: StoredMessage[]) => boolean,
): Promise<{ messages: StoredMessage[]; exhausted: boolean }> {
  const messages: StoredMessage[] = [];
  const lowest = afterUlid === undefined ? prefix.message : key.afterMessage(afterUlid);
  const query = messageQuery(table, sessionId, lowest, key.messagesEnd, oldestFirst, firstMessagePage);
  const nowMs = table.now();
  for await (const page of queryPages(table.documents, query, { nextLimit: (last) => Math.min(last * 2, maxMessagePage) })) {
    for (const item of page.Items ?? []) {
      refuseIfForgetting(item, sessionId);
      if (isLive(item, nowMs)) messages.push({ ulid: messageUlid(item), record: recordFromItem(item) });
    }
    if (page.LastEvaluatedKey && enough(messages)) return { messages, exhausted: false };
  }
  return { messages, exhausted: true };
}
