/**
 * The extraction loop: memory that maintains itself from a session's messages, with an LLM the flow
 * chooses. The pack never calls a model itself; as with the summary loop, it says when work is due
 * and hands over a ready request, and applies the answer the flow's model gives:
 *
 *   due:   the session's extraction watermark (`SESSION#<id>` / `EXTRACTED`: the ULID of the newest
 *          message covered) and the messages after it, oldest first, at most 50. With at least
 *          `every` of them (or forced, with one), the scope's memories most similar to them (recall)
 *          and an OpenAI chat-completions request body whose `response_format` is the answer's JSON
 *          schema (extraction-request.ts), and the watermark `{ from, to }` the apply step needs.
 *   apply: the answer (a model response, its message, JSON text or parsed JSON) is validated whole,
 *          every record it names must be valid now in the scope, and everything is written in ONE
 *          TransactWriteItems with the watermark's move from `from` to `to` as a condition: a retry
 *          after a lost response, or two extractions of one session at once, apply once; the other
 *          is told the watermark moved, and nothing of it is written.
 *
 * UPDATE and DELETE supersede instead of deleting: the old record gets `validTo` (recall leaves it
 * out from then on, and finds it with a `validAt` before), an UPDATE adds a new record that names
 * the old one in its metadata (`supersedes`). Every change has its audit entry (MEMLOG#) and the
 * scope's version goes up once, in the same transaction (long-term-memory.ts's rule).
 */
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { MemoryInputError } from '../errors/input-errors';
import {
  defaultExtractionSimilar,
  extractionAnswerSchema,
  maxExtractionMessages,
  modelSchema,
  parseExtractionAnswer,
  type ExtractionApplyRequest,
  type ExtractionDueRequest,
  type ExtractionFormat,
  type ExtractionOperation,
} from '../schemas/extraction-request';
import { replyMessage } from '../schemas/model-reply';
import { batchGet } from './batch-get';
import { builtInEmbedder, builtInEmbedding, parseEmbedding, type Embedding } from './embedding';
import { iso } from './instants';
import { itemBytes } from './item-size';
import { defaultImportance, type LongTermMemory } from './long-term-memory';
import { embedderFromKey, scopeName, validAt, versionBump, type MemoryRecord, type RecordContent } from './memory-items';
import { guardRefusal, memoryScope, writeGuard, type ScopeRequest } from './memory-scope';
import { messagesAfter } from './message-history';
import { nextItemUlid } from './message-ids';
import type { MessageRecord } from './message-record';
import { addedRecord, supersededRecord, type RecordWrite, type WriteContext } from './record-writes';
import { backoff, maxRetries } from './retry';
import { checkOwner, readAsOwner, sessionAccessAttributes } from './session-owner';
import type { TableHandle } from './table-handle';
import { attribute, key, type MemoryScope } from './table-layout';
import { contentText } from './tokens';
import { transactionCancellation } from './transaction-cancellation';
import { isLive } from './ttl-filter';
import type { VectorIndexWatch } from './vector-index-state';

type Item = Record<string, unknown>;

/** A record's text at most (the remember schema's limit). */
const maxTextLength = 32768;
/** DynamoDB's limits on one TransactWriteItems. */
const maxTransactionItems = 100;
const maxTransactionBytes = 4 * 1024 * 1024;

/** The answer schema's name in the request: a tool of this name carries the answer too. */
export const extractionAnswerName = 'memory_operations';

/** The extraction prompt (English; the answer's texts follow the conversation's language). */
export const extractionPrompt = [
  "You keep a long-term memory of what matters about the user of a chat. You get the memories stored now (id, kind, text) and the conversation's new messages.",
  'Answer with the operations that keep the memory true, precise and free of duplicates:',
  '- ADD a fact, preference or event worth remembering later that no memory holds yet: one short, self-contained sentence about the user as text, a kind ("fact", "preference", "event", or null) and an importance from 1 (trivia) to 10 (must never be forgotten), or null.',
  '- UPDATE a memory whose content changed or became more precise (the user moved, changed their mind, corrected it): its id and the whole new text. The old text is kept as history, valid until now, so never DELETE and ADD for a change: UPDATE.',
  '- DELETE a memory the messages show is no longer true, with nothing to replace it: its id.',
  '- NONE when nothing new is worth remembering.',
  'Name only ids from the memories listed. Remember what the user said about themselves, not what the assistant suggested unless the user confirmed it; leave out greetings, small talk and questions. Write memories in the language of the conversation.',
].join('\n');

export interface ExtractionWatermark {
  /** The newest message the previous extraction covered (none: the first extraction). */
  from?: string;
  /** The newest message this extraction covers. */
  to: string;
}

export interface ExtractionMessage extends MessageRecord {
  /** The message's sort key ULID. */
  ulid: string;
}

export type ExtractionDue =
  | { due: false; pending: number; watermark: { from?: string } }
  | {
      due: true;
      pending: number;
      messages: ExtractionMessage[];
      memories: Array<{ id: string; text: string; kind?: string }>;
      /** The model's request body in the asked format (add the model); its answer goes to apply as it is. */
      request: ExtractionRequestBody;
      watermark: ExtractionWatermark;
    };

/** OpenAI chat completions: the answer's schema as a strict json_schema response format. */
export interface OpenAIExtractionBody {
  messages: Array<{ role: 'system' | 'user'; content: string }>;
  response_format: { type: 'json_schema'; json_schema: { name: string; strict: true; schema: unknown } };
}

/** Anthropic Messages: the answer's schema as the input schema of a tool the model must call (forced tool use). */
export interface AnthropicExtractionBody {
  max_tokens: number;
  system: string;
  messages: Array<{ role: 'user'; content: string }>;
  tools: Array<{ name: string; description: string; input_schema: unknown }>;
  tool_choice: { type: 'tool'; name: string };
}

export type ExtractionRequestBody = OpenAIExtractionBody | AnthropicExtractionBody;

/** Room for the answer: 16 operations of a sentence each take a few hundred tokens. */
const anthropicMaxTokens = 4096;

export type ExtractionResult =
  | {
      applied: true;
      watermark: ExtractionWatermark;
      added: MemoryRecord[];
      /** Each UPDATE: the record superseded (with its validTo) and the one that replaces it. */
      updated: Array<{ superseded: MemoryRecord; record: MemoryRecord }>;
      /** Each DELETE: the record superseded, with its validTo. */
      deleted: MemoryRecord[];
      unchanged: number;
    }
  | {
      applied: false;
      /** already-applied: the watermark is at `to` (a retry, or the same extraction twice); watermark-moved: another extraction moved it. */
      reason: 'already-applied' | 'watermark-moved';
      /** The watermark now. */
      watermark: { covers?: string };
    };

export class MemoryExtraction {
  constructor(
    private readonly table: TableHandle,
    private readonly index: VectorIndexWatch,
    private readonly memories: LongTermMemory,
  ) {}

  /** Whether the session's new messages are due for extraction; when they are, what the model needs. */
  async due(request: ExtractionDueRequest): Promise<ExtractionDue> {
    const scopeRequest = toScopeRequest(request);
    memoryScope(scopeRequest);
    const { covers, messages } = await readAsOwner(this.table, request.sessionId, request.userId, async () => {
      const covers = await this.watermark(request.sessionId);
      const read = await messagesAfter(this.table, request.sessionId, covers, true, (read) => read.length >= maxExtractionMessages);
      return { covers, messages: read.messages.slice(0, maxExtractionMessages) };
    });
    const pending = messages.length;
    const from = covers === undefined ? {} : { from: covers };
    if (pending === 0 || (pending < request.every && !request.force)) return { due: false, pending, watermark: from };
    const covered = messages.map(({ ulid, record }) => ({ ...record, ulid }));
    const query = covered.map((m) => contentText(m.content)).join('\n').slice(0, maxTextLength) || ' ';
    const k = request.similar ?? defaultExtractionSimilar;
    const memories = k === 0 ? [] : await this.shownMemories(scopeRequest, query, k, request);
    return {
      due: true,
      pending,
      messages: covered,
      memories,
      request: requestBody(covered, memories, request.format ?? 'openai'),
      watermark: { ...from, to: covered[covered.length - 1]!.ulid },
    };
  }

  /**
   * The memories the model sees beside the messages: the `k` most similar to them, then, with room
   * left, the newest others valid now. A memory the messages change may share no words with them
   * ("I moved to Porto", "lives in Lisbon"), and the built-in embedder sees only words.
   */
  private async shownMemories(scopeRequest: ScopeRequest, query: string, k: number, request: ExtractionDueRequest): Promise<Array<{ id: string; text: string; kind?: string }>> {
    const given = request.embedding === undefined ? {} : { embedding: request.embedding, ...(request.embedder !== undefined ? { embedder: request.embedder } : {}) };
    const shown: MemoryRecord[] = await this.memories.recall({ ...scopeRequest, query, k, ...given }).then(
      async (result) => (await result.accessRecorded, result.memories),
      // Records of another embedder only (written before the flow chose its own): none is similar
      // by this one's vectors, and the newest are shown.
      (error: unknown) => {
        if (error instanceof MemoryInputError && error.text === 'input.embedder-mismatch') return [];
        throw error;
      },
    );
    if (shown.length < k) {
      const nowMs = this.table.now();
      const { items } = await this.memories.list({ ...scopeRequest, limit: 2 * k });
      shown.push(...items.filter((record) => validAt(record, nowMs) && !shown.some((m) => m.id === record.id)).slice(0, k - shown.length));
    }
    return shown.map((m) => ({ id: m.id, text: m.text, ...(m.kind !== undefined ? { kind: m.kind } : {}) }));
  }

  /** Applies a model's answer and moves the watermark, in one transaction; nothing when anything is wrong. */
  async apply(request: ExtractionApplyRequest): Promise<ExtractionResult> {
    const operations = extractionOperations(request.answer);
    const vectors = givenVectors(operations, request.embeddings, request.embedder);
    const scopeRequest = toScopeRequest(request);
    const scope = memoryScope(scopeRequest);
    const from = request.watermark.from ?? undefined;
    const to = request.watermark.to;
    if (from !== undefined && from >= to) throw new MemoryInputError('input.extraction-watermark', { field: 'watermark' });
    for (let attempt = 0; ; attempt++) {
      const [session, current, covered, guard, index, records] = await Promise.all([
        this.table.documents.send(
          new GetCommand({ TableName: this.table.tableName, Key: key.session(request.sessionId), ProjectionExpression: `${sessionAccessAttributes}, ${attribute.expiresAt}`, ConsistentRead: true }),
        ),
        this.watermarkItem(request.sessionId),
        messagesAfter(this.table, request.sessionId, from, true, (read) => read.some((m) => m.ulid >= to)),
        writeGuard(this.table, scopeRequest),
        this.index.state(),
        this.namedRecords(scope, operations),
      ]);
      checkOwner(session.Item, request.sessionId, request.userId);
      if (current.covers !== from) return notApplied(current.covers, to);
      const sources = covered.messages.filter((m) => m.ulid <= to);
      if (sources[sources.length - 1]?.ulid !== to) throw new MemoryInputError('input.extraction-watermark', { field: 'watermark.to' });
      const nowMs = this.table.now();
      const at = iso(nowMs);
      try {
        assertValidNow(operations, records, nowMs);
      } catch (error) {
        // The watermark and the records are read at once, not as one snapshot: an extraction of the
        // same watermark that landed in between superseded them. That one is reported, not the ids.
        const moved = await this.watermark(request.sessionId);
        if (moved !== from) return notApplied(moved, to);
        throw error;
      }
      const sourceMessageIds = sources.slice(-100).map((m) => m.record.messageId);
      const plan = this.plan(scope, operations, records, { nowMs, at, sourceMessageIds, expiresBy: guard.expiresBy, indexDimension: index?.dimension, vectors });
      const sessionExpiry = session.Item?.[attribute.expiresAt];
      const watermarkPut = {
        Put: {
          TableName: this.table.tableName,
          Item: {
            ...key.extractionWatermark(request.sessionId),
            kind: 'extraction-watermark',
            sessionId: request.sessionId,
            covers: to,
            version: current.version + 1,
            scope: scopeName(scope),
            extractedAt: at,
            ...(sessionExpiry !== undefined ? { [attribute.expiresAt]: sessionExpiry } : {}),
          },
          ConditionExpression: from === undefined ? 'attribute_not_exists(#covers)' : '#covers = :from',
          ExpressionAttributeNames: { '#covers': 'covers' },
          ...(from === undefined ? {} : { ExpressionAttributeValues: { ':from': from } }),
        },
      };
      // A session-scope guard already checks the session item (one action per item in a transaction).
      const sessionCheck =
        request.scope === 'session'
          ? []
          : [
              {
                ConditionCheck: {
                  TableName: this.table.tableName,
                  Key: key.session(request.sessionId),
                  ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#forgetting)',
                  ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#forgetting': 'forgetting' },
                },
              },
            ];
      const actions: Item[] = [
        ...(guard.check ? [guard.check] : []),
        ...sessionCheck,
        watermarkPut,
        ...plan.actions,
        ...(plan.lastChange === undefined ? [] : [versionBump(this.table.tableName, scope, plan.lastChange)]),
      ];
      const bytes = actions.reduce((sum, action) => sum + itemBytes((Object.values(action)[0] as { Item?: Item }).Item ?? {}), 0);
      if (actions.length > maxTransactionItems || bytes > maxTransactionBytes) {
        throw new MemoryInputError('input.extraction-too-large', { items: actions.length, size: (bytes / 1024).toFixed(1) });
      }
      try {
        await this.table.documents.send(new TransactWriteCommand({ TransactItems: actions as never }));
        return { applied: true, watermark: { ...(from === undefined ? {} : { from }), to }, ...plan.result };
      } catch (error) {
        const cancelled = transactionCancellation(error);
        if (!cancelled) throw error;
        const failed = (index: number) => cancelled.codes[index] === 'ConditionalCheckFailed';
        if (guard.check && failed(0)) throw guardRefusal(scopeRequest);
        if (sessionCheck.length > 0 && failed(guard.check ? 1 : 0)) throw new MemoryInputError('input.session-being-forgotten', { sessionId: request.sessionId });
        if (failed(actions.indexOf(watermarkPut))) return notApplied(await this.watermark(request.sessionId), to);
        // A record changed since it was read, or a transient cancellation: read again and retry.
        if (attempt >= maxRetries || (!cancelled.transient && !cancelled.codes.includes('ConditionalCheckFailed'))) throw error;
        await backoff(attempt);
      }
    }
  }

  /** The ULID of the newest message the session's extractions covered (none yet: undefined). */
  private async watermark(sessionId: string): Promise<string | undefined> {
    return (await this.watermarkItem(sessionId)).covers;
  }

  private async watermarkItem(sessionId: string): Promise<{ covers?: string; version: number }> {
    const { Item } = await this.table.documents.send(new GetCommand({ TableName: this.table.tableName, Key: key.extractionWatermark(sessionId), ConsistentRead: true }));
    if (Item === undefined || !isLive(Item, this.table.now())) return { version: 0 };
    return { ...(Item['covers'] !== undefined ? { covers: String(Item['covers']) } : {}), version: Number(Item['version'] ?? 0) };
  }

  /** The record items the UPDATE and DELETE operations name, by id (absent: not in this scope). */
  private async namedRecords(scope: MemoryScope, operations: ExtractionOperation[]): Promise<Map<string, Item>> {
    const ids = operations.flatMap((o) => ('id' in o ? [o.id] : []));
    const items = await batchGet(this.table.documents, this.table.tableName, ids.map((id) => key.memory(scope, id)), { consistent: true });
    return new Map(items.map((item) => [String(item['id']), item]));
  }

  /** The transaction's actions for the operations (changes, then the version bump the caller adds), and what they do. */
  private plan(
    scope: MemoryScope,
    operations: ExtractionOperation[],
    records: Map<string, Item>,
    context: { nowMs: number; at: string; sourceMessageIds: string[]; expiresBy: number | undefined; indexDimension: number | undefined; vectors: Embedding[] | undefined },
  ) {
    const { nowMs, at, sourceMessageIds, expiresBy, indexDimension, vectors } = context;
    let texts = 0;
    /** The next written text's vector: the flow's, in extractionTexts' order, else the built-in one. */
    const embed = (text: string): Embedding => vectors?.[texts++] ?? builtInEmbedding(text);
    const writeContext: WriteContext = { tableName: this.table.tableName, nowMs, at, indexDimension };
    const actions: Item[] = [];
    const result = { added: [] as MemoryRecord[], updated: [] as Array<{ superseded: MemoryRecord; record: MemoryRecord }>, deleted: [] as MemoryRecord[], unchanged: 0 };
    let lastChange: string | undefined;
    const write = (written: RecordWrite): MemoryRecord => {
      actions.push(...written.actions);
      lastChange = written.changeUlid;
      return written.record;
    };
    const add = (content: RecordContent): MemoryRecord => write(addedRecord(scope, nextItemUlid(nowMs), content, writeContext));
    /** The old record, valid until now. */
    const supersede = (item: Item, change: { action: 'UPDATE' | 'DELETE'; newText?: string }): MemoryRecord =>
      write(supersededRecord(scope, item, { ...change, validTo: at }, writeContext));
    const expiry = expiresBy === undefined ? {} : { expiresAt: expiresBy };
    for (const operation of operations) {
      if (operation.op === 'NONE') {
        result.unchanged++;
      } else if (operation.op === 'ADD') {
        result.added.push(
          add({
            text: operation.text,
            ...(operation.kind != null ? { kind: operation.kind } : {}),
            importance: operation.importance ?? defaultImportance,
            metadata: {},
            sourceMessageIds,
            validFrom: at,
            ...expiry,
            embedding: embed(operation.text),
          }),
        );
      } else if (operation.op === 'UPDATE') {
        const old = records.get(operation.id)!;
        const replaced = embedderFromKey(old['embedder']);
        // A new text's built-in vector would not match the flow's vectors the old record was found by.
        if (vectors === undefined && (replaced.embedder !== builtInEmbedder.embedder || replaced.dimension !== builtInEmbedder.dimension)) {
          throw new MemoryInputError('input.memory-embedding-needed', { id: operation.id, embedder: replaced.embedder });
        }
        const superseded = supersede(old, { action: 'UPDATE', newText: operation.text });
        const record = add({
          text: operation.text,
          ...(superseded.kind !== undefined ? { kind: superseded.kind } : {}),
          importance: superseded.importance,
          metadata: { ...superseded.metadata, supersedes: superseded.id },
          sourceMessageIds,
          validFrom: at,
          ...(old[attribute.expiresAt] !== undefined ? { expiresAt: Number(old[attribute.expiresAt]) } : expiry),
          embedding: embed(operation.text),
        });
        result.updated.push({ superseded, record });
      } else {
        result.deleted.push(supersede(records.get(operation.id)!, { action: 'DELETE' }));
      }
    }
    return { actions, lastChange, result };
  }
}

function toScopeRequest(request: { scope?: 'user' | 'session'; userId?: string; sessionId: string }): ScopeRequest {
  return { scope: request.scope ?? 'user', sessionId: request.sessionId, ...(request.userId !== undefined ? { userId: request.userId } : {}) };
}

function notApplied(covers: string | undefined, to: string): ExtractionResult {
  return { applied: false, reason: covers === to ? 'already-applied' : 'watermark-moved', watermark: covers === undefined ? {} : { covers } };
}

/** The request body the flow's model gets: the prompt, the memories and messages as JSON, the answer's schema. */
function requestBody(messages: ExtractionMessage[], memories: Array<{ id: string; text: string; kind?: string }>, format: ExtractionFormat): ExtractionRequestBody {
  const conversation = messages.map((m) => ({ role: m.role, content: contentText(m.content), at: m.createdAt }));
  const asked = { role: 'user' as const, content: JSON.stringify({ memories: memories.map((m) => ({ id: m.id, kind: m.kind ?? null, text: m.text })), messages: conversation }) };
  const schema = modelSchema(extractionAnswerSchema);
  if (format === 'anthropic') {
    return {
      max_tokens: anthropicMaxTokens,
      system: extractionPrompt,
      messages: [asked],
      tools: [{ name: extractionAnswerName, description: 'The operations that keep the memory true.', input_schema: schema }],
      tool_choice: { type: 'tool', name: extractionAnswerName },
    };
  }
  return {
    messages: [{ role: 'system', content: extractionPrompt }, asked],
    response_format: { type: 'json_schema', json_schema: { name: extractionAnswerName, strict: true, schema } },
  };
}

/**
 * The operations of an answer in any of its forms: a model response (chat completions, Responses,
 * Anthropic, Ollama), its message, JSON text, or the parsed JSON; validated whole.
 */
export function extractionOperations(answer: unknown): ExtractionOperation[] {
  let value = answer;
  const reply = replyMessage(value);
  if (reply !== undefined) value = answerIn(reply);
  else if (isMessage(value)) value = answerIn(value);
  if (Array.isArray(value) && value.every((part) => typeof part === 'object' && part !== null && 'text' in part)) {
    value = value.map((part) => String((part as { text: unknown }).text)).join('');
  }
  if (typeof value === 'string') {
    try {
      value = JSON.parse(stripFence(value));
    } catch (error) {
      throw new MemoryInputError('input.extraction-answer', { reason: (error as Error).message.slice(0, 200) });
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MemoryInputError('input.extraction-answer', { reason: `it is ${value === null || value === undefined ? 'empty' : Array.isArray(value) ? 'an array' : typeof value}, not an object with "operations"` });
  }
  const { operations } = parseExtractionAnswer(value);
  const named = new Map<string, number>();
  operations.forEach((operation, index) => {
    if ('text' in operation && (operation.text.trim().length === 0 || operation.text.length > maxTextLength)) {
      throw new MemoryInputError('input.memory-text', { field: `operations.${index}.text`, maxLength: maxTextLength });
    }
    if ('id' in operation) {
      const first = named.get(operation.id);
      if (first !== undefined) throw new MemoryInputError('input.extraction-same-id', { first, second: index, id: operation.id });
      named.set(operation.id, index);
    }
  });
  return operations;
}

/** The texts an answer writes, each ADD's and UPDATE's in order: what the flow's embedder gets, one vector each. */
export function extractionTexts(operations: ExtractionOperation[]): string[] {
  return operations.flatMap((operation) => (operation.op === 'ADD' || operation.op === 'UPDATE' ? [operation.text] : []));
}

/** The flow's vectors for the answer's texts (none given: undefined, the built-in ones are used), one per text. */
function givenVectors(operations: ExtractionOperation[], embeddings: unknown[][] | undefined, embedder: string | undefined): Embedding[] | undefined {
  if (embeddings === undefined) return undefined;
  const texts = extractionTexts(operations).length;
  if (embeddings.length !== texts) throw new MemoryInputError('input.extraction-embeddings', { count: embeddings.length, texts });
  return embeddings.map((vector, index) => parseEmbedding(vector, `embeddings[${index}]`, embedder));
}

/**
 * Where a message holds the answer: the arguments of its call of a tool named like the schema (a flow
 * that asks by forced tool use, as Anthropic's Messages API does structured answers), else its content.
 */
function answerIn(message: { content: unknown; tool_calls?: unknown }): unknown {
  const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as Array<{ function?: { name?: unknown; arguments?: unknown } }>) : [];
  return calls.find((call) => call.function?.name === extractionAnswerName)?.function?.arguments ?? message.content;
}

/** An assistant message `{role, content}` (a chat completion's `choices[0].message`). */
function isMessage(value: unknown): value is { role: string; content: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'role' in value && 'content' in value;
}

/** Models asked for JSON sometimes wrap it in a Markdown code fence anyway. */
function stripFence(text: string): string {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return fenced ? fenced[1]! : text;
}

/** Every id an operation names must be a record of the scope that is valid now (not superseded, not expired). */
function assertValidNow(operations: ExtractionOperation[], records: Map<string, Item>, nowMs: number): void {
  operations.forEach((operation, index) => {
    if (!('id' in operation)) return;
    const item = records.get(operation.id);
    if (item === undefined || !isLive(item, nowMs) || !validAt(item, nowMs)) throw new MemoryInputError('input.extraction-foreign-id', { index, id: operation.id });
  });
}
