/**
 * A stored chat message: how a store request becomes DynamoDB items, and how an item is read back.
 */
import type { StoreRequest } from '../schemas/store-request';
import { MemoryInputError } from '../errors/input-errors';
import { itemBytes, maxItemBytes } from './item-size';
import { nextMessageUlid } from './message-ids';
import { key } from './table-layout';
import { contentText, countTokens } from './tokens';

export type Role = StoreRequest['role'];

/** A message as the nodes hand it out (`records` format, `msg.memory`). */
export interface MessageRecord {
  messageId: string;
  sessionId: string;
  role: Role;
  content: unknown;
  userId?: string;
  metadata?: Record<string, unknown>;
  name?: string;
  tool_calls?: unknown[];
  tool_call_id?: string;
  createdAt: string;
  /** Set on a store result when a message with this messageId was stored before: nothing was written. */
  duplicate?: true;
}

/** What one stored message puts in DynamoDB: its item, and the idempotency guard when it has an id. */
export interface MessageWrite {
  record: MessageRecord;
  item: Record<string, unknown>;
  guard?: Record<string, unknown>;
  bytes: number;
  /** Tokens of the content (o200k_base), added to the session's `tokens` when stored. */
  tokens: number;
}

const recordFields = [
  'messageId', 'sessionId', 'role', 'content', 'userId', 'metadata', 'name', 'tool_calls', 'tool_call_id', 'createdAt',
] as const;

/** The ULID of a message item (its sort key without `MSG#`). */
export function messageUlid(item: Record<string, unknown>): string {
  return String(item['sk']).slice('MSG#'.length);
}

export function recordFromItem(item: Record<string, unknown>): MessageRecord {
  const record: Record<string, unknown> = {};
  for (const field of recordFields) if (item[field] !== undefined) record[field] = item[field];
  return record as unknown as MessageRecord;
}

type PayloadMessage = Exclude<StoreRequest['payload'], string | unknown[]>;

/** A bare string is the content of a message with the request's role. */
function asMessage(item: string | PayloadMessage): PayloadMessage {
  return typeof item === 'string' ? { content: item } : item;
}

function payloadMessages(request: StoreRequest): PayloadMessage[] {
  const { payload } = request;
  if (!Array.isArray(payload)) return [asMessage(payload)];
  return payload.map(asMessage).map((m, i) =>
    m.messageId === undefined && request.messageId !== undefined ? { ...m, messageId: `${request.messageId}-${i}` } : m,
  );
}

/**
 * The writes for a store request, in order, each checked against DynamoDB's item size limit before
 * anything is written.
 */
export function messageWrites(request: StoreRequest, nowMs: number, expiresAt: number | undefined): MessageWrite[] {
  const messages = payloadMessages(request);
  return messages.map((message, i) => {
    const ulid = nextMessageUlid(nowMs);
    const explicitId = message.messageId ?? (messages.length === 1 ? request.messageId : undefined);
    const record: MessageRecord = {
      messageId: explicitId ?? ulid,
      sessionId: request.sessionId,
      role: message.role ?? request.role,
      content: message.content,
      ...(request.userId !== undefined ? { userId: request.userId } : {}),
      ...((message.metadata ?? request.metadata) !== undefined ? { metadata: message.metadata ?? request.metadata } : {}),
      ...(message.name !== undefined ? { name: message.name } : {}),
      ...(message.tool_calls !== undefined ? { tool_calls: message.tool_calls } : {}),
      ...(message.tool_call_id !== undefined ? { tool_call_id: message.tool_call_id } : {}),
      createdAt: new Date(nowMs).toISOString(),
    };
    const messageKey = key.message(request.sessionId, ulid);
    const item = { ...messageKey, kind: 'message', ...record, expiresAt };
    const bytes = itemBytes(item);
    if (bytes > maxItemBytes) {
      const size = (bytes / 1024).toFixed(1);
      throw messages.length > 1
        ? new MemoryInputError('input.messages-item-too-large', { position: i + 1, total: messages.length, size })
        : new MemoryInputError('input.message-too-large', { size });
    }
    const guard = explicitId === undefined
      ? undefined
      : { ...key.messageId(request.sessionId, explicitId), kind: 'message-id', messageSk: messageKey.sk, expiresAt };
    return { record, item, bytes, tokens: countTokens(contentText(record.content)), ...(guard ? { guard } : {}) };
  });
}
