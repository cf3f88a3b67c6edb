/**
 * Export (right of access): everything the pack keeps about a user, as JSON parts of the format in
 * ../schemas/transfer-request.ts (docs/export-format.md). Parts come one at a time from an async
 * generator, each read from the table only when the caller asks for it, so a user of any size is
 * exported in bounded memory.
 *
 * What belongs to a user is listed once, in `userSections`: the user marker, the sessions the user
 * index lists under the user (with what their partitions hold: messages, summary, the session's own
 * memory and working memory, its extraction watermark; `sessionEntries`), the partition
 * `USER#<userId>` (preferences and their history, the user's long-term memory and its history) and
 * `GRAPH#USER#<userId>` (the user's graph): the same places forget-user deletes (erasure.ts). A kind
 * of data a later change adds is one more section there, or one more list of `sessionEntries` for
 * a session's partition (and one more record schema and import step). Expired items
 * (ttl-filter.ts) are left out: to every read of the pack they are gone.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type {
  ExportedEdge,
  ExportedEntity,
  ExportedExtractionWatermark,
  ExportedMemory,
  ExportedMemoryChange,
  ExportedMessage,
  ExportedPreference,
  ExportedPreferenceChange,
  ExportedSession,
  ExportedSummary,
  ExportedWorkingEntry,
  ExportedWorkingStep,
  ExportPart,
  ExportRequest,
} from '../schemas/transfer-request';
import { exportFormat, exportVersion } from '../schemas/transfer-request';
import { embedderFromKey } from './memory-items';
import { messageUlid } from './message-record';
import { queryPages } from './query-pages';
import { assertNotForgotten } from './session-owner';
import type { TableHandle } from './table-handle';
import { attribute, key, prefix } from './table-layout';
import { isSessionLive } from './session-expiry';
import { isLive } from './ttl-filter';
import { userSessionsQuery } from './user-sessions';

/** A part's size when the request sets none: 1,000 records and 1 MiB of JSON, whichever comes first. */
export const defaultPartLimits = { partRecords: 1000, partBytes: 1024 * 1024 };

type Item = Record<string, unknown>;
/** A session piece's lists (one record each), and its fields that hold one record. */
type SessionList = 'messages' | 'memories' | 'memoryChanges' | 'workingEntries' | 'workingSteps';
type SessionSingle = 'summary' | 'extractionWatermark';
type SessionHeader = Omit<ExportedSession, SessionList | SessionSingle>;
type SessionRecord = ExportedMessage | ExportedMemory | ExportedMemoryChange | ExportedWorkingEntry | ExportedWorkingStep | ExportedSummary | ExportedExtractionWatermark;
type ListSection = 'preferences' | 'preferenceChanges' | 'entities' | 'edges' | 'memories' | 'memoryChanges';
type ListRecord = ExportedPreference | ExportedPreferenceChange | ExportedEntity | ExportedEdge | ExportedMemory | ExportedMemoryChange;

/** One record on its way into a part; a session's without `field` is the bare session. */
type Entry =
  | { section: 'user'; record: { createdAt: string } }
  | { section: 'sessions'; session: SessionHeader; field?: SessionList | SessionSingle; record?: SessionRecord }
  | { section: ListSection; record: ListRecord };

const sessionLists: ReadonlySet<string> = new Set<SessionList>(['messages', 'memories', 'memoryChanges', 'workingEntries', 'workingSteps']);

/** The attributes of `item` named in `fields` that it has, in that order. */
function pick<T>(item: Item, fields: readonly string[]): T {
  const record: Item = {};
  for (const name of fields) if (item[name] !== undefined) record[name] = item[name];
  return record as T;
}

const messageFields = ['messageId', 'role', 'content', 'metadata', 'name', 'tool_calls', 'tool_call_id', 'createdAt', 'expiresAt'] as const;
const summaryFields = ['summary', 'covers', 'coversMessageId', 'coversCreatedAt', 'updatedAt', 'expiresAt'] as const;
const sessionFields = ['sessionId', 'createdAt', 'lastActivityAt', 'expiresAt'] as const;
const workingEntryFields = ['id', 'text', 'importance', 'metadata', 'createdAt', 'lastAccessedAt', 'lastUse', 'accessCount', 'expiresAt'] as const;
const workingStepFields = ['id', 'text', 'metadata', 'createdAt', 'expiresAt'] as const;
const watermarkFields = ['covers', 'extractedAt', 'scope', 'expiresAt'] as const;

/** The items of one partition whose sort keys begin with `skPrefix`, live ones only, in sort-key order. */
async function* partitionItems(table: TableHandle, pk: string, skPrefix: string, nowMs: number): AsyncGenerator<Item> {
  const pages = queryPages(table.documents, {
    TableName: table.tableName,
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey },
    ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
    ConsistentRead: true,
  });
  for await (const page of pages) {
    for (const item of page.Items ?? []) if (isLive(item, nowMs)) yield item;
  }
}

/** The ids of the sessions the user index lists under the user, in id order (so two exports of the same data are equal). */
async function userSessionIds(table: TableHandle, userId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of queryPages(table.documents, { ...userSessionsQuery(table, userId), ProjectionExpression: 'sessionId' })) {
    ids.push(...(page.Items ?? []).map((item) => String(item['sessionId'])));
  }
  return [...new Set(ids)].sort();
}

async function getItem(table: TableHandle, itemKey: Item): Promise<Item | undefined> {
  return (await table.documents.send(new GetCommand({ TableName: table.tableName, Key: itemKey, ConsistentRead: true }))).Item;
}

/**
 * One session: its messages oldest first, its summary, its own memory records and their history,
 * its working memory (entries, then steps) and its extraction watermark. A session counts as the
 * user's when its item still names the user (the index is eventually consistent); one whose item
 * has expired is still exported while some of its records are live, as history still reads them.
 */
async function* sessionEntries(table: TableHandle, userId: string, sessionId: string, nowMs: number): AsyncGenerator<Entry> {
  const [item, summaryItem, watermarkItem] = await Promise.all(
    [key.session(sessionId), key.summary(sessionId), key.extractionWatermark(sessionId)].map((itemKey) => getItem(table, itemKey)),
  );
  if (item === undefined || item['userId'] !== userId) return;
  const session = pick<SessionHeader>(item, sessionFields);
  const partition = key.sessionPartition(sessionId);
  let any = false;
  const list = async function* (field: SessionList, skPrefix: string, record: (item: Item) => SessionRecord): AsyncGenerator<Entry> {
    for await (const listed of partitionItems(table, partition, skPrefix, nowMs)) {
      any = true;
      yield { section: 'sessions', session, field, record: record(listed) };
    }
  };
  yield* list('messages', prefix.message, (message) => ({ ulid: messageUlid(message), ...pick<Omit<ExportedMessage, 'ulid'>>(message, messageFields) }));
  if (summaryItem !== undefined && isSessionLive(summaryItem, nowMs)) {
    any = true;
    yield { section: 'sessions', session, field: 'summary', record: pick<ExportedSummary>(summaryItem, summaryFields) };
  }
  yield* list('memories', prefix.memory, exportedMemory);
  yield* list('memoryChanges', prefix.memoryChange, exportedMemoryChange);
  yield* list('workingEntries', prefix.workingEntry, (entry) => pick<ExportedWorkingEntry>(entry, workingEntryFields));
  yield* list('workingSteps', prefix.workingStep, (step) => pick<ExportedWorkingStep>(step, workingStepFields));
  if (watermarkItem !== undefined && isLive(watermarkItem, nowMs)) {
    any = true;
    yield { section: 'sessions', session, field: 'extractionWatermark', record: pick<ExportedExtractionWatermark>(watermarkItem, watermarkFields) };
  }
  if (!any && isSessionLive(item, nowMs)) yield { section: 'sessions', session };
}

/** A memory record of any scope: its record item holds all it is (the vector item and the scope's version are derived). */
function exportedMemory(item: Item): ExportedMemory {
  return {
    ...pick<Omit<ExportedMemory, 'embedder' | 'dimension' | 'vector' | 'kind'>>(item, [
      'id', 'text', 'importance', 'metadata', 'sourceMessageIds', 'createdAt', 'updatedAt', 'lastAccessedAt', 'accessCount', 'validFrom', 'validTo', 'expiresAt', 'version',
    ]),
    ...(item['memoryKind'] !== undefined ? { kind: String(item['memoryKind']) } : {}),
    ...embedderFromKey(item['embedder']),
    vector: Buffer.from(item['vec32'] as Uint8Array).toString('base64'),
  };
}

function exportedMemoryChange(item: Item): ExportedMemoryChange {
  return {
    ulid: String(item[attribute.sortKey]).slice(prefix.memoryChange.length),
    ...pick<Omit<ExportedMemoryChange, 'ulid'>>(item, ['recordId', 'action', 'oldText', 'newText', 'version', 'changedAt']),
  };
}

/** A section of the user's data that is a plain list of one partition's items of one kind. */
function listSection(
  section: ListSection,
  partition: (userId: string) => string,
  skPrefix: string,
  record: (item: Item) => ListRecord,
): (table: TableHandle, userId: string, nowMs: number) => AsyncGenerator<Entry> {
  return async function* list(table, userId, nowMs) {
    for await (const item of partitionItems(table, partition(userId), skPrefix, nowMs)) yield { section, record: record(item) };
  };
}

const userGraph = (userId: string) => key.graphPartition({ userId });

/**
 * Everything of a user, in the order it is exported and imported (an edge's entities before it).
 * The one list of where a user's data lives: a new kind of data is a new entry here.
 */
const userSections: Array<(table: TableHandle, userId: string, nowMs: number) => AsyncGenerator<Entry>> = [
  async function* user(table, userId, nowMs) {
    const marker = await getItem(table, key.userMarker(userId));
    if (marker !== undefined && isLive(marker, nowMs)) yield { section: 'user', record: { createdAt: String(marker['createdAt']) } };
  },
  async function* sessions(table, userId, nowMs) {
    for (const sessionId of await userSessionIds(table, userId)) yield* sessionEntries(table, userId, sessionId, nowMs);
  },
  listSection('preferences', key.userPartition, prefix.preference, (item) =>
    pick<ExportedPreference>(item, ['key', 'value', 'version', 'updatedAt'])),
  listSection('preferenceChanges', key.userPartition, prefix.preferenceChange, (item) => ({
    ulid: String(item[attribute.sortKey]).slice(prefix.preferenceChange.length),
    ...pick<Omit<ExportedPreferenceChange, 'ulid'>>(item, ['key', 'oldValue', 'newValue', 'version', 'changedAt', 'oldValueOmitted']),
  })),
  listSection('entities', userGraph, prefix.entity, (item) =>
    pick<ExportedEntity>(item, ['id', 'type', 'aliases', 'properties', 'createdAt', 'updatedAt', 'version', 'expiresAt'])),
  // The out item holds the edge; the in item is its mirror, derived again on import.
  listSection('edges', userGraph, prefix.edgeOut, (item) =>
    pick<ExportedEdge>(item, ['source', 'relation', 'target', 'properties', 'validFrom', 'validTo', 'createdAt', 'expiresAt'])),
  listSection('memories', key.userPartition, prefix.memory, exportedMemory),
  listSection('memoryChanges', key.userPartition, prefix.memoryChange, exportedMemoryChange),
];

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
/** Room for a section's name, its brackets and a comma, on top of its records: more than it takes. */
const sectionBytes = 32;

/**
 * Fills parts with entries, each part within the limits: at most `partRecords` records (a message,
 * a summary, a session piece, a preference, … each count one) and `partBytes` bytes of JSON, but
 * never empty (a record larger than the limit by itself is a part of its own).
 */
class PartPacker {
  private part!: ExportPart;
  private records = 0;
  private bytes = 0;
  private index = 0;

  constructor(
    private readonly userId: string,
    private readonly exportedAt: string,
    private readonly limits: { partRecords: number; partBytes: number },
  ) {
    this.start();
  }

  private start(): void {
    this.part = { format: exportFormat, version: exportVersion, userId: this.userId, exportedAt: this.exportedAt, part: this.index++, last: false };
    // The envelope as it will be written, with room for the largest part number and `last: false`.
    this.bytes = jsonBytes({ ...this.part, part: Number.MAX_SAFE_INTEGER });
    this.records = 0;
  }

  /** Adds an entry; returns the part it completed when the entry did not fit in that one. */
  add(entry: Entry): ExportPart | undefined {
    let completed: ExportPart | undefined;
    if (this.records > 0 && (this.records + this.recordsOf(entry) > this.limits.partRecords || this.bytes + this.bytesOf(entry) > this.limits.partBytes)) {
      completed = this.part;
      this.start();
    }
    this.records += this.recordsOf(entry);
    this.bytes += this.bytesOf(entry);
    this.put(entry);
    return completed;
  }

  /** The last part. */
  finish(): ExportPart {
    return { ...this.part, last: true };
  }

  /** The session piece in this part that entries of `session` go to, if it is the newest one. */
  private openSession(session: SessionHeader): ExportedSession | undefined {
    const last = this.part.sessions?.at(-1);
    return last?.sessionId === session.sessionId ? last : undefined;
  }

  private recordsOf(entry: Entry): number {
    if (entry.section !== 'sessions') return 1;
    return (entry.field ? 1 : 0) + (this.openSession(entry.session) ? 0 : 1);
  }

  private bytesOf(entry: Entry): number {
    if (entry.section === 'user') return sectionBytes + jsonBytes(entry.record);
    if (entry.section !== 'sessions') return (this.part[entry.section] ? 1 : sectionBytes) + jsonBytes(entry.record);
    const open = this.openSession(entry.session);
    const piece = open ? 0 : sectionBytes + jsonBytes({ ...entry.session, messages: [] });
    if (!entry.field) return piece;
    // A new piece has its (empty) messages list already; any other list is opened by its first record.
    const listOpen = entry.field === 'messages' || open?.[entry.field] !== undefined;
    return piece + (sessionLists.has(entry.field) && listOpen ? 1 : sectionBytes) + jsonBytes(entry.record);
  }

  private put(entry: Entry): void {
    const part = this.part;
    if (entry.section === 'user') {
      part.user = entry.record;
      return;
    }
    if (entry.section === 'sessions') {
      let piece = this.openSession(entry.session);
      if (!piece) (part.sessions ??= []).push((piece = { ...entry.session, messages: [] }));
      const fields = piece as Record<string, unknown>;
      if (entry.field && sessionLists.has(entry.field)) ((fields[entry.field] ??= []) as SessionRecord[]).push(entry.record!);
      else if (entry.field) fields[entry.field] = entry.record;
      return;
    }
    ((part[entry.section] ??= []) as ListRecord[]).push(entry.record);
  }
}

/**
 * The user's data as parts, read from the table as the caller asks for each next part. Every part
 * but the last has `last: false`; a user the table knows nothing of is one part with no sections.
 */
export async function* exportUser(table: TableHandle, request: ExportRequest): AsyncGenerator<ExportPart> {
  await assertNotForgotten(table, request.userId);
  const nowMs = table.now();
  const limits = { ...defaultPartLimits, ...(request.partRecords ? { partRecords: request.partRecords } : {}), ...(request.partBytes ? { partBytes: request.partBytes } : {}) };
  const packer = new PartPacker(request.userId, new Date(nowMs).toISOString(), limits);
  for (const section of userSections) {
    for await (const entry of section(table, request.userId, nowMs)) {
      const completed = packer.add(entry);
      if (completed) yield completed;
    }
  }
  yield packer.finish();
}
