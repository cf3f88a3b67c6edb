/**
 * How the memory pack lays out its data in one DynamoDB table. Table creation, the docs
 * (docs/data-model.md) and every read and write take their keys from here, so this file is the
 * whole key design.
 *
 * One table, generic key attributes (`pk`, `sk`, `gsi1pk`, `gsi1sk`), so that new kinds of item
 * need no new table or index.
 *
 *   item kind      pk                    sk                      gsi1pk            gsi1sk
 *   message        SESSION#<sessionId>   MSG#<ulid>              -                 -
 *   message id     SESSION#<sessionId>   MSGID#<messageId>       -                 -
 *   forget mark    SESSION#<sessionId>   MSG#~                   -                 -
 *   session        SESSION#<sessionId>   SESSION                 USER#<userId>     SESSION#<lastActivityAt>
 *   summary        SESSION#<sessionId>   SUMMARY                 -                 -
 *   extracted      SESSION#<sessionId>   EXTRACTED               -                 -
 *   user marker    USER#<userId>         USER                    -                 -
 *   forget job     USER#<userId>         FORGET                  FORGETTING        <startedAt>#<userId>
 *   stats shard    STATS#<0..9>          STATS                   -                 -
 *   preference     USER#<userId>         PREF#<key>              -                 -
 *   pref. change   USER#<userId>         PREFLOG#<ulid>          -                 -
 *   entity         GRAPH#<scope>         ENTITY#<entityId>       -                 -
 *   edge, out      GRAPH#<scope>         OUT#<src>#<rel>#<dst>   GRAPH#<scope>#REL#<rel>   <createdAt>#<src>#<dst>
 *   edge, in       GRAPH#<scope>         IN#<dst>#<rel>#<src>    -                 -
 *   memory record  <memory scope>        MEM#<ulid>              -                 -
 *   memory vector  <memory scope>        MEMVEC#<ulid>           -                 -
 *   memory change  <memory scope>        MEMLOG#<ulid>           -                 -
 *   memory version <memory scope>        MEMVERSION              -                 -
 *   working entry  <working scope>       WM#<ulid>               -                 -
 *   reasoning step <working scope>       WMSTEP#<ulid>           -                 -
 *   working count  <working scope>       WMCOUNT                 -                 -
 *
 * The vector index `memvec` (only on tables created with a vector dimension: tableDefinition's
 * option, or the CloudFormation stack's MemoryVectorDimension) indexes the items that carry both
 * `vector` (a list of numbers, float32 in the index) and `memscope` (the item's pk, so each search
 * stays inside one partition's items), filterable by `embedder`; SearchVectors answers their keys.
 *
 * A session's summary (one item, replaced on each store) records the sort key of the newest message
 * it covers. Its extraction watermark (one item, moved by each applied extraction) records the
 * ULID of the newest message whose memories were extracted, and a version. The user marker exists once a user has stored a message: it is what makes a user
 * "new" for the table statistics. Table statistics (sessions, messages, users) are counters spread
 * over `statsShards` items, written by each process's periodic flush and never by a store
 * (table-counters.ts): no item on the store path is shared by different sessions' stores.
 *
 * A forget mark sorts after every message of its session (`~` after every ULID character): the
 * newest-first read of a session meets it first, so a session whose user is being forgotten is
 * refused by the read itself, with no call beside it.
 *
 * A forget job exists while a user's data is being deleted (forget-job.ts): from its first write
 * every read of the user's data is refused, it records the deletion's progress, and its gsi1 entry
 * lets any process find unfinished jobs to resume (only running jobs are in that partition, and a
 * job writes it twice, so it is never hot).
 *
 * A graph scope is `USER#<userId>` (a user's own facts) or `NAMED#<graphName>`. Relations are
 * indexed per scope and relation type, never on the bare relation type (one hot partition).
 * Everything of a user lives under `USER#<userId>`, `GRAPH#USER#<userId>` and the sessions the user
 * index lists, which is what forgetting a user deletes.
 *
 * Long-term memory (long-term-memory.ts) lives in the partition of its scope: a user's in
 * `USER#<userId>` (beside preferences), a session's in `SESSION#<sessionId>`, a named namespace's in
 * `MEMORY#NAMED#<name>`. So forget-user and clear erase it with the partitions they already delete,
 * and a running forget job refuses it as it refuses preferences. `MEM…` sorts before `MSG#` and after
 * nothing any other read asks for by prefix. A record's vector item holds its compact (int8) vector
 * and what recall scores and filters on, so a recall reads vectors without texts; the version item
 * is bumped in every write's transaction, which is how another process's cached vectors learn they
 * are stale (memory-vectors.ts).
 *
 * Working memory (working-memory.ts) is a scratchpad in a session's partition or a named
 * namespace's (`MEMORY#NAMED#<name>`, beside its long-term memory), never a user's: forget-user and
 * clear erase a session's with the partition. Its entries, its reasoning steps and its counter (the
 * number of entries, which every add and eviction changes in the same transaction as the entries)
 * all begin with `WM`, which nothing else begins with: one Query finds the whole scratchpad, and no
 * other read's prefix (`MEM`, `MSG#`, `PREF`, …) meets it. `WM#` is not a prefix of `WMSTEP#` or
 * `WMCOUNT`, so entries and steps are each one `begins_with` Query.
 *
 * A message's sort key is a ULID: its first ten characters are the creation time in
 * milliseconds and the rest is random (and monotonic within one process), so keys sort by time and
 * two messages of the same millisecond never collide. "The newest N" is a descending Query with
 * Limit on one partition, whatever the session's length.
 */
import type { CreateTableCommandInput, VectorIndex } from '@aws-sdk/client-dynamodb';
import { MemoryInputError } from '../errors/input-errors';

/** The table's name when none is configured (the config node's default, and the CloudFormation stack's). */
export const defaultTableName = 'chat-memory';

export const attribute = {
  partitionKey: 'pk',
  sortKey: 'sk',
  gsi1PartitionKey: 'gsi1pk',
  gsi1SortKey: 'gsi1sk',
  /** Epoch seconds; DynamoDB's TTL deletes the item some time after this (not at once). */
  expiresAt: 'expiresAt',
  /** The indexed vector: a list of numbers of exactly the index's dimension, or DynamoDB refuses the write. */
  vector: 'vector',
  /** The vector index's partition (its HASH search attribute): the item's own pk value. */
  memoryScope: 'memscope',
  /** `<embedder name>/<dimension>`: a search compares only vectors of the query's embedder. */
  embedder: 'embedder',
} as const;

/** The vector index SearchVectors reads; userIndex's neighbour, but a third kind of index. */
export const vectorIndexName = 'memvec';

/** The dimensions DynamoDB (and CloudFormation's VectorIndex) accept for a vector index. */
export const vectorDimensionLimits = { min: 1, max: 4096 } as const;

/**
 * Lists a user's sessions, newest activity first (sparse: only sessions that have a user), and a
 * graph scope's relationships of one type, newest link first (only out items carry gsi1 keys).
 */
export const userIndex = 'gsi1';

export type ItemKind =
  | 'message' | 'message-id' | 'session' | 'summary' | 'user' | 'stats' | 'preference' | 'preference-change' | 'entity'
  | 'edge-out' | 'edge-in' | 'forget' | 'forget-mark' | 'memory' | 'memory-vector' | 'memory-change' | 'memory-version'
  | 'extraction-watermark' | 'working-entry' | 'working-step' | 'working-count';

/** How many counter items the table statistics are spread over. */
export const statsShards = 10;

/** Whose graph: a user's own, or a named graph shared by a flow. */
export type GraphScope = { userId: string } | { graph: string };

export const prefix = {
  session: 'SESSION#',
  message: 'MSG#',
  messageId: 'MSGID#',
  user: 'USER#',
  preference: 'PREF#',
  preferenceChange: 'PREFLOG#',
  graph: 'GRAPH#',
  namedGraph: 'NAMED#',
  entity: 'ENTITY#',
  edgeOut: 'OUT#',
  edgeIn: 'IN#',
  relation: '#REL#',
  stats: 'STATS#',
  memory: 'MEM#',
  memoryVector: 'MEMVEC#',
  memoryChange: 'MEMLOG#',
  /** What both `MEMVEC#` and `MEMVERSION` begin with, and nothing else: a scope's vectors and version in one Query. */
  memoryVectorsAndVersion: 'MEMVE',
  namedMemory: 'MEMORY#NAMED#',
  /** What every working-memory item (entry, step, counter) begins with, and nothing else. */
  working: 'WM',
  workingEntry: 'WM#',
  workingStep: 'WMSTEP#',
} as const;

/** Whose long-term memory: a user's, a session's, or a namespace flows share by name. */
export type MemoryScope = { userId: string } | { sessionId: string } | { namespace: string };

/**
 * DynamoDB's limits on a key attribute's value, in UTF-8 bytes; an index's keys have the table's
 * (a partition key 2,048, a sort key 1,024).
 */
export const keyLimits = {
  [attribute.partitionKey]: 2048,
  [attribute.sortKey]: 1024,
  [attribute.gsi1PartitionKey]: 2048,
  [attribute.gsi1SortKey]: 1024,
} as const;

/**
 * The key value, once it fits its attribute's limit. Ids are limited in characters and keys in
 * bytes: `MSGID#` and 256 four-byte characters are 1,030 bytes, and an edge's keys join three ids.
 * DynamoDB would refuse such a key as a validation error; it is refused here as the caller's input,
 * before any request carries it. `ids` are the ids the key is made of, named as the request names
 * them, for the message.
 */
function fitted(keyAttribute: keyof typeof keyLimits, value: string, ids: Record<string, string>): string {
  const bytes = Buffer.byteLength(value, 'utf8');
  const limit = keyLimits[keyAttribute];
  if (bytes > limit) {
    const parts = Object.entries(ids).map(([name, id]) => `${name} ${Buffer.byteLength(id, 'utf8')}`).join(', ');
    throw new MemoryInputError('input.key-too-long', { attribute: keyAttribute, bytes, limit, parts });
  }
  return value;
}

const scopeIds = (scope: GraphScope): Record<string, string> => ('userId' in scope ? { userId: scope.userId } : { graph: scope.graph });
const sessionPartition = (sessionId: string) => fitted('pk', prefix.session + sessionId, { sessionId });
const userPartition = (userId: string) => fitted('pk', prefix.user + userId, { userId });
const memoryPartition = (scope: MemoryScope) =>
  'userId' in scope ? userPartition(scope.userId) : 'sessionId' in scope ? sessionPartition(scope.sessionId) : fitted('pk', prefix.namedMemory + scope.namespace, { namespace: scope.namespace });
const graphPartition = (scope: GraphScope) =>
  fitted('pk', prefix.graph + ('userId' in scope ? prefix.user + scope.userId : prefix.namedGraph + scope.graph), scopeIds(scope));

export const key = {
  session: (sessionId: string) => ({ pk: sessionPartition(sessionId), sk: 'SESSION' }),
  message: (sessionId: string, ulid: string) => ({ pk: sessionPartition(sessionId), sk: prefix.message + ulid }),
  messageId: (sessionId: string, messageId: string) => ({
    pk: sessionPartition(sessionId),
    sk: fitted('sk', prefix.messageId + messageId, { messageId }),
  }),
  summary: (sessionId: string) => ({ pk: sessionPartition(sessionId), sk: 'SUMMARY' }),
  /** The session's extraction watermark: the newest message whose memories were extracted (extraction.ts). */
  extractionWatermark: (sessionId: string) => ({ pk: sessionPartition(sessionId), sk: 'EXTRACTED' }),
  /** The highest message sort key a read asks for: the forget mark's, so that it is read when there. */
  messagesEnd: `${prefix.message}~`,
  forgetMark: (sessionId: string) => ({ pk: sessionPartition(sessionId), sk: `${prefix.message}~` }),
  /** The sort key after a message's (and before the next one's): `#` sorts below every ULID character. */
  afterMessage: (ulid: string) => `${prefix.message}${ulid}#`,
  userMarker: (userId: string) => ({ pk: userPartition(userId), sk: 'USER' }),
  forgetJob: (userId: string) => ({ pk: userPartition(userId), sk: 'FORGET' }),
  /** gsi1 keys of a running forget job: every unfinished job of the table, oldest first. */
  forgetJobs: 'FORGETTING',
  forgetJobsSort: (startedAt: string, userId: string) => `${startedAt}#${userId}`,
  statsShard: (shard: number) => ({ pk: prefix.stats + shard, sk: 'STATS' }),
  sessionPartition,
  userSessions: (userId: string) => fitted('gsi1pk', prefix.user + userId, { userId }),
  userSessionsSort: (lastActivityAt: string) => prefix.session + lastActivityAt,
  userPartition,
  preference: (userId: string, preferenceKey: string) => ({
    pk: userPartition(userId),
    sk: fitted('sk', prefix.preference + preferenceKey, { key: preferenceKey }),
  }),
  preferenceChange: (userId: string, ulid: string) => ({ pk: userPartition(userId), sk: prefix.preferenceChange + ulid }),
  graphPartition,
  entity: (scope: GraphScope, entityId: string) => ({ pk: graphPartition(scope), sk: fitted('sk', prefix.entity + entityId, { id: entityId }) }),
  edgeOut: (scope: GraphScope, source: string, relation: string, target: string) => ({
    pk: graphPartition(scope),
    sk: fitted('sk', `${prefix.edgeOut}${source}#${relation}#${target}`, { source, relation, target }),
  }),
  edgeIn: (scope: GraphScope, source: string, relation: string, target: string) => ({
    pk: graphPartition(scope),
    sk: fitted('sk', `${prefix.edgeIn}${target}#${relation}#${source}`, { target, relation, source }),
  }),
  memoryPartition,
  memory: (scope: MemoryScope, id: string) => ({ pk: memoryPartition(scope), sk: prefix.memory + id }),
  memoryVector: (scope: MemoryScope, id: string) => ({ pk: memoryPartition(scope), sk: prefix.memoryVector + id }),
  memoryChange: (scope: MemoryScope, ulid: string) => ({ pk: memoryPartition(scope), sk: prefix.memoryChange + ulid }),
  memoryVersion: (scope: MemoryScope) => ({ pk: memoryPartition(scope), sk: 'MEMVERSION' }),
  workingEntry: (scope: MemoryScope, ulid: string) => ({ pk: memoryPartition(scope), sk: prefix.workingEntry + ulid }),
  workingStep: (scope: MemoryScope, ulid: string) => ({ pk: memoryPartition(scope), sk: prefix.workingStep + ulid }),
  workingCount: (scope: MemoryScope) => ({ pk: memoryPartition(scope), sk: 'WMCOUNT' }),
  /** What the sort keys of an entity's edges in one direction (and of one relation) begin with. */
  edgesOf: (direction: 'out' | 'in', id: string, relation: string | undefined) => {
    const start = `${direction === 'out' ? prefix.edgeOut : prefix.edgeIn}${id}#`;
    return relation === undefined ? fitted('sk', start, { id }) : fitted('sk', `${start}${relation}#`, { id, relation });
  },
  /** gsi1 keys of an outgoing edge: a scope's relations of one type, newest first. */
  relationIndex: (scope: GraphScope, relation: string) =>
    fitted('gsi1pk', graphPartition(scope) + prefix.relation + relation, { ...scopeIds(scope), relation }),
  relationIndexSort: (createdAt: string, source: string, target: string) => fitted('gsi1sk', `${createdAt}#${source}#${target}`, { source, target }),
};

/** The table's TTL setting (UpdateTimeToLive here, TimeToLiveSpecification in the CloudFormation template). */
export const timeToLive = { AttributeName: attribute.expiresAt, Enabled: true };

/**
 * The vector index for vectors of `dimension` numbers. Generic in the dimension so that the
 * CloudFormation template builds its index from this same definition with a parameter reference.
 * Keys only: a recall reads the records it picks (BatchGetItem) and ranks them again itself.
 */
export function vectorIndex<Dimension = number>(dimension: Dimension): Omit<VectorIndex, 'Dimensions'> & { Dimensions: Dimension } {
  return {
    IndexName: vectorIndexName,
    VectorAttribute: { AttributeName: attribute.vector },
    Dimensions: dimension,
    DistanceFunction: 'COSINE',
    SearchSchema: [
      { AttributeName: attribute.memoryScope, SearchSchemaElementType: 'HASH' },
      { AttributeName: attribute.embedder, SearchSchemaElementType: 'INLINE_FILTER' },
    ],
    Projection: { ProjectionType: 'KEYS_ONLY' },
  };
}

/**
 * The table this pack needs, for CreateTable (on-demand billing; TTL is switched on separately).
 * With `vectorDimension`, also the vector index; DynamoDB refuses a search-schema attribute that
 * AttributeDefinitions does not declare, as it does a GSI key.
 */
export function tableDefinition(tableName: string, options: { vectorDimension?: number } = {}): CreateTableCommandInput {
  const { partitionKey, sortKey, gsi1PartitionKey, gsi1SortKey, memoryScope, embedder } = attribute;
  const { vectorDimension } = options;
  const searchAttributes = vectorDimension === undefined ? [] : [memoryScope, embedder];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [partitionKey, sortKey, gsi1PartitionKey, gsi1SortKey, ...searchAttributes].map((name) => ({
      AttributeName: name,
      AttributeType: 'S',
    })),
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: userIndex,
        KeySchema: [
          { AttributeName: gsi1PartitionKey, KeyType: 'HASH' },
          { AttributeName: gsi1SortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
    ...(vectorDimension === undefined ? {} : { VectorIndexes: [vectorIndex(vectorDimension)] }),
  };
}
