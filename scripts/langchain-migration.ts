/**
 * Migration from LangChain's DynamoDB chat history table into this pack's layout. LangChain JS's
 * `DynamoDBChatMessageHistory` (@langchain/community; Flowise's DynamoDB memory uses the same class,
 * with a partition key name of its own) keeps a session as one item: the session id in the
 * partition key (`id` by default) and a list attribute (`messages` by default) of
 * `{type, text, additional_kwargs, role?}`. LangChain Python's keeps `{type, data: {content, …}}`
 * in `History` under `SessionId`; both shapes are read.
 *
 * Each session is stored with ChatMemory.store, so it is written as any store writes it: one item
 * per message in order, the session item with its count and tokens, the owner when a user id
 * attribute is named, the table statistics. Message i of a session gets the messageId
 * `langchain-<i>`, so running the migration again stores only what the source gained since (a
 * messageId is stored once). The source has no times: every message gets the migration's time,
 * and its ULID keeps the list's order.
 *
 * It reads the source with Scan (a whole-table read, once), which the pack itself never sends; so
 * it lives here, as `npm run migrate:langchain`, run with the operator's credentials, not in the
 * nodes' IAM policy.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ChatMemory } from '../lib/memory/chat-memory';
import { inParallel } from '../lib/memory/in-parallel';
import type { Role } from '../lib/memory/message-record';
import { queryPages } from '../lib/memory/query-pages';
import { attribute, key, prefix } from '../lib/memory/table-layout';
import { parseStoreRequest, type StoreRequest } from '../lib/schemas/store-request';

export interface LangChainSource {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** The attribute holding the session id: LangChain JS's `partitionKey` (default `id`; Python: `SessionId`). */
  sessionIdAttribute?: string;
  /** The list of messages: LangChain JS's `messageAttributeName` (default `messages`; Python: `History`). */
  messagesAttribute?: string;
  /** An attribute of the item holding the session's user, if the application kept one; absent: sessions without owner. */
  userIdAttribute?: string;
}

export interface MigrationOptions {
  source: LangChainSource;
  /** The pack's table: the memory that stores, and the client that reads what an earlier run stored. */
  target: { memory: ChatMemory; documents: DynamoDBDocumentClient };
  /** Days until the migrated messages expire (absent: the target's default TTL, or none). */
  ttlDays?: number;
  /** Told after each session, for progress. */
  onSession?: (sessionId: string, stored: number) => void;
}

export interface MigrationResult {
  /** Source items read. */
  items: number;
  /** Sessions migrated (with at least one message read). */
  sessions: number;
  /** Messages stored now. */
  messages: number;
  /** Messages stored by an earlier run, left as they were. */
  alreadyMigrated: number;
  /** Items that could not be migrated, and why (nothing of such an item is written). */
  skipped: Array<{ sessionId: string; reason: string }>;
}

/** Messages of one store call: each call is chunked into transactions, and a session's list fits 400 KB anyway. */
const messagesPerStore = 1000;
const sessionsInFlight = 4;
/** Message i of a source session is stored with the messageId `langchain-<i>`. */
const idPrefix = 'langchain-';

/** LangChain's message types (and chat roles) as this pack's roles. */
const roles: Record<string, Role> = {
  human: 'user',
  user: 'user',
  ai: 'assistant',
  assistant: 'assistant',
  system: 'system',
  tool: 'tool',
  function: 'tool',
};

type Item = Record<string, unknown>;
type PayloadMessage = Extract<StoreRequest['payload'], unknown[]>[number];

function kwargsOf(element: Item, data: Item | undefined): Item {
  const raw = element['additional_kwargs'] ?? data?.['additional_kwargs'];
  if (typeof raw === 'string') {
    try {
      const parsed: unknown = JSON.parse(raw);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Item) : {};
    } catch {
      return {};
    }
  }
  return typeof raw === 'object' && raw !== null ? (raw as Item) : {};
}

/**
 * One element of LangChain's list as a message to store; throws (with the element's position) on
 * a type it cannot map. A generic chat message's own role decides when it is one of ours.
 */
export function langChainMessage(element: unknown, index: number): PayloadMessage {
  const item = (typeof element === 'object' && element !== null ? element : {}) as Item;
  const data = typeof item['data'] === 'object' && item['data'] !== null ? (item['data'] as Item) : undefined;
  const type = String(item['type'] ?? '');
  const ownRole = item['role'] ?? data?.['role'];
  const role = roles[type] ?? (typeof ownRole === 'string' ? roles[ownRole] : undefined);
  if (role === undefined) throw new Error(`message ${index + 1}: type "${type}" is not one of human, ai, system, tool, function or a chat message with one of their roles`);
  const content = item['text'] ?? data?.['content'] ?? '';
  const { tool_calls: toolCalls, ...kwargs } = kwargsOf(item, data);
  const toolCallId = data?.['tool_call_id'];
  return {
    role,
    content,
    messageId: `${idPrefix}${index}`,
    ...(Array.isArray(toolCalls) && toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    ...(typeof toolCallId === 'string' && toolCallId !== '' ? { tool_call_id: toolCallId } : {}),
    // What LangChain kept beside the content (function_call, usage, …) stays with the message.
    ...(Object.keys(kwargs).length > 0 ? { metadata: { additional_kwargs: kwargs } } : {}),
  } as PayloadMessage;
}

/**
 * The messageIds an earlier run stored in the session: one keys-only Query of its guards, so a run
 * after the first stores what is new without sending (and being refused) the rest again.
 */
async function migratedIds(options: MigrationOptions, sessionId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const guards = queryPages(options.target.documents, {
    TableName: options.target.memory.tableName,
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
    ProjectionExpression: '#sk',
    ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey },
    ExpressionAttributeValues: { ':pk': key.sessionPartition(sessionId), ':prefix': prefix.messageId + idPrefix },
    ConsistentRead: true,
  });
  for await (const page of guards) for (const item of page.Items ?? []) ids.add(String(item[attribute.sortKey]).slice(prefix.messageId.length));
  return ids;
}

/** Stores one source item's messages; returns what was stored now and before. */
async function migrateItem(options: MigrationOptions, sessionId: string, userId: unknown, list: unknown[]): Promise<{ stored: number; before: number }> {
  const messages = list.map(langChainMessage);
  // Every chunk is checked by the schema (ids and contents, as the store node checks them) before anything is read or written.
  const requests: StoreRequest[] = [];
  for (let from = 0; from < messages.length; from += messagesPerStore) {
    requests.push(parseStoreRequest({
      sessionId,
      ...(userId !== undefined ? { userId } : {}),
      role: 'user',
      payload: messages.slice(from, from + messagesPerStore),
      ...(options.ttlDays !== undefined ? { ttlDays: options.ttlDays } : {}),
    }));
  }
  const done = await migratedIds(options, sessionId);
  let stored = 0;
  let before = 0;
  for (const request of requests) {
    const payload = (request.payload as Array<{ messageId?: string }>).filter((message) => !done.has(message.messageId!));
    before += (request.payload as unknown[]).length - payload.length;
    if (payload.length === 0) continue;
    for (const record of await options.target.memory.store({ ...request, payload: payload as StoreRequest['payload'] })) {
      if (record.duplicate) before++;
      else stored++;
    }
  }
  return { stored, before };
}

/** Reads every item of the source (Scan, page by page) and stores its messages in the target. */
export async function migrateLangChainTable(options: MigrationOptions): Promise<MigrationResult> {
  const { documents, tableName } = options.source;
  const sessionAttribute = options.source.sessionIdAttribute ?? 'id';
  const messagesAttribute = options.source.messagesAttribute ?? 'messages';
  const result: MigrationResult = { items: 0, sessions: 0, messages: 0, alreadyMigrated: 0, skipped: [] };
  let startKey: Item | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }));
    const items = page.Items ?? [];
    result.items += items.length;
    await inParallel(items, sessionsInFlight, async (item) => {
      const sessionId = String(item[sessionAttribute] ?? '');
      const list = item[messagesAttribute];
      if (!Array.isArray(list) || list.length === 0) return;
      const userId = options.source.userIdAttribute === undefined ? undefined : item[options.source.userIdAttribute];
      try {
        const { stored, before } = await migrateItem(options, sessionId, userId, list);
        result.sessions++;
        result.messages += stored;
        result.alreadyMigrated += before;
        options.onSession?.(sessionId, stored);
      } catch (error) {
        // One bad session (an id this layout refuses, a type it cannot map) does not stop the others.
        result.skipped.push({ sessionId, reason: (error as Error).message });
      }
    });
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return result;
}
