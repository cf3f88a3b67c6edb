/**
 * The fault proxy's partition-throughput mode. DynamoDB throttles one partition key value beyond
 * 1,000 write and 3,000 read units a second; DynamoDB Local never throttles. This mode bills every
 * request per partition key as DynamoDB does (a PartitionBudget, with limits a test scales down)
 * and, beyond the budget, answers as on-demand DynamoDB does, in its wire format (JSON 1.0, 400):
 * - a single-item call, a Query, or a batch of which no item fits: `ThrottlingException` with a
 *   `Table…KeyRangeThroughputExceeded` throttling reason;
 * - TransactWriteItems, TransactGetItems: `TransactionCanceledException` with `ThrottlingError` for
 *   each item whose key could not pay and `None` for the others (as DynamoDB documents for a
 *   transaction; the pack's store retries that reason itself);
 * - BatchWriteItem, BatchGetItem: the items that fit are done, the rest come back unprocessed.
 * A throttled request, or batch item, never reaches the engine.
 *
 * Billing needs sizes DynamoDB knows and a proxy does not: the mode reads the items a request
 * names from the engine first (a strongly consistent BatchGetItem of its own, unbilled). A put
 * bills the larger of the old and new item, a delete the old one (a unit when there is none), an
 * update the old one and, once applied, the rest if the new one is larger (read back likewise).
 * A Query passes while its key can pay its least cost and is then billed what DynamoDB Local says
 * it read (Local's ConsumedCapacity is right for a Query; for a transaction it bills 4 units per
 * KB of all its items together, where DynamoDB documents 2 per KB of each item, so items are
 * billed here). A failed condition is billed (DynamoDB did the work); a request the engine refuses
 * outright is refunded. A TransactWriteItems ConditionCheck is billed as a transactional write of
 * the item it checks; a key a BatchGetItem finds no item for, as a GetItem of it (DynamoDB reads
 * each key of a batch as one GetItem; DynamoDB Local bills such a key nothing).
 *
 * Not simulated: index partitions (an index write is billed on the index's own partition key
 * value, with the same limits; a Query on an index passes unbilled), table and account limits.
 */
import { readUnits, wireItemBytes, writeUnits, type WireItem } from './capacity-units';
import { jsonAnswer, withBody, type Engine, type EngineAnswer } from './engine-answer';
import { PartitionBudget, type Charge, type PartitionLimits, type UnitKind } from './partition-budget';
import { isItemOperation, itemAccesses, partitionOf, queriedPartition, type ItemAccess } from './request-items';
import { attribute } from '../../lib/memory/table-layout';

export interface PartitionThrottling {
  budget: PartitionBudget;
  /** Index write units DynamoDB Local itself reported for the writes it did, per index: index partitions are not simulated. */
  engineIndexWriteUnits: Record<string, number>;
  handle(operation: string, body: Buffer, engine: Engine): Promise<EngineAnswer>;
}

interface Consumed {
  CapacityUnits?: number;
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

type Body = Record<string, unknown> & { __type?: string; ConsumedCapacity?: Consumed | Consumed[] };
type Request = Record<string, unknown>;

const onDemandMessage =
  'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so ' +
  'please try again shortly. If exceptions persist, check if you have a hot key: ' +
  'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html.';

function throttlingException(kind: UnitKind, table: string): EngineAnswer {
  return jsonAnswer(400, {
    __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
    message: onDemandMessage,
    throttlingReasons: [{
      reason: `Table${kind === 'write' ? 'Write' : 'Read'}KeyRangeThroughputExceeded`,
      resource: `arn:aws:dynamodb:ddblocal:000000000000:table/${table}`,
    }],
  });
}

function transactionThrottled(charges: Charge[], short: Charge[]): EngineAnswer {
  const reasons = charges.map((c) => (short.includes(c) ? { Code: 'ThrottlingError', Message: onDemandMessage } : { Code: 'None' }));
  return jsonAnswer(400, {
    __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
    CancellationReasons: reasons,
    Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
  });
}

const parse = (answer: EngineAnswer) => JSON.parse(answer.body.toString('utf8')) as Body;

/** DynamoDB bills a write whose condition failed (it did the work), not a request it refused outright. */
function billed(answer: EngineAnswer, body: Body): boolean {
  return answer.status === 200 || /#(ConditionalCheckFailedException|TransactionCanceledException)$/.test(body.__type ?? '');
}

const itemId = (table: string, item: WireItem) =>
  `${table}\u0000${JSON.stringify([item[attribute.partitionKey], item[attribute.sortKey]])}`;

/** The items as they are now, unbilled; undefined when the engine cannot say (no such table, say). */
async function currentItems(engine: Engine, accesses: ItemAccess[]): Promise<Map<string, WireItem> | undefined> {
  const keysByTable = new Map<string, Map<string, WireItem>>();
  for (const { table, key } of accesses) keysByTable.set(table, (keysByTable.get(table) ?? new Map()).set(itemId(table, key), key));
  const items = new Map<string, WireItem>();
  for (const [table, keys] of keysByTable) {
    const all = [...keys.values()];
    for (let i = 0; i < all.length; i += 100) {
      const answer = await engine('BatchGetItem', { RequestItems: { [table]: { Keys: all.slice(i, i + 100), ConsistentRead: true } } });
      if (answer.status !== 200) return undefined;
      for (const item of (parse(answer)['Responses'] as Record<string, WireItem[]>)[table] ?? []) items.set(itemId(table, item), item);
    }
  }
  return items;
}

function charge(access: ItemAccess, before: WireItem | undefined, after?: WireItem): Charge {
  const target = { table: access.table, pk: partitionOf(access) };
  if (access.action === 'read') return { ...target, kind: 'read', units: readUnits(wireItemBytes(before), access.read!) };
  const bytes = Math.max(wireItemBytes(before), wireItemBytes(access.item ?? after));
  return { ...target, kind: 'write', units: writeUnits(bytes, access.transactional) };
}

const refund = (charges: Charge[]) => charges.map((c) => ({ ...c, units: -c.units }));

const asksCapacity = (request: Request) => ['TOTAL', 'INDEXES'].includes(String(request['ReturnConsumedCapacity']));

/** Asks the engine for its ConsumedCapacity, which the client gets only if it asked too. */
function asking(request: Request): Request {
  return asksCapacity(request) ? request : { ...request, ReturnConsumedCapacity: 'INDEXES' };
}

/** Batch items grouped back by table, as RequestItems, UnprocessedItems or UnprocessedKeys have them. */
function regroup(operation: string, request: Request, accesses: ItemAccess[], more: Record<string, unknown> = {}): Record<string, unknown> {
  const tables = request['RequestItems'] as Record<string, unknown>;
  const groups: Record<string, unknown> = {};
  for (const table of new Set([...Object.keys(more), ...accesses.map((a) => a.table)])) {
    const own = accesses.filter((a) => a.table === table).map((a) => a.source);
    if (operation === 'BatchWriteItem') groups[table] = [...((more[table] as unknown[] | undefined) ?? []), ...own];
    else {
      const earlier = (more[table] as { Keys?: unknown[] } | undefined)?.Keys ?? [];
      groups[table] = { ...(tables[table] as object), Keys: [...earlier, ...own] };
    }
  }
  return groups;
}

export function partitionThrottling(limits: PartitionLimits): PartitionThrottling {
  const budget = new PartitionBudget(limits);
  const engineIndexWriteUnits: Record<string, number> = {};

  /** The engine's answer as the client asked for it, noting the index write units the engine reported. */
  function reply(answer: EngineAnswer, body: Body, request: Request, writes: boolean, changed = false): EngineAnswer {
    if (writes) {
      for (const consumed of [body.ConsumedCapacity ?? []].flat()) {
        for (const [index, units] of Object.entries(consumed.GlobalSecondaryIndexes ?? {})) {
          engineIndexWriteUnits[index] = (engineIndexWriteUnits[index] ?? 0) + (units.CapacityUnits ?? 0);
        }
      }
    }
    if (!asksCapacity(request) && body.ConsumedCapacity !== undefined) {
      delete body.ConsumedCapacity;
      return withBody(answer, body);
    }
    return changed ? withBody(answer, body) : answer;
  }

  /** An update is billed on the larger of the item before and after: after is known once it is applied. */
  async function settleUpdates(engine: Engine, accesses: ItemAccess[], charges: Charge[], before: Map<string, WireItem>): Promise<void> {
    const updates = accesses.flatMap((a, i) => (a.action === 'update' ? [{ access: a, charged: charges[i]! }] : []));
    if (updates.length === 0) return;
    const after = await currentItems(engine, updates.map((u) => u.access));
    for (const { access, charged } of updates) {
      const id = itemId(access.table, access.key);
      const excess = charge(access, before.get(id), after?.get(id)).units - charged.units;
      if (excess > 0) budget.settle([{ ...charged, units: excess }]);
    }
  }

  async function whole(operation: string, request: Request, accesses: ItemAccess[], before: Map<string, WireItem>, engine: Engine) {
    const charges = accesses.map((a) => charge(a, before.get(itemId(a.table, a.key))));
    const short = budget.take(charges);
    if (short.length > 0) {
      return operation.startsWith('Transact') ? transactionThrottled(charges, short) : throttlingException(short[0]!.kind, short[0]!.table);
    }
    const answer = await engine(operation, asking(request));
    const body = parse(answer);
    if (!billed(answer, body)) budget.settle(refund(charges));
    else if (answer.status === 200) await settleUpdates(engine, accesses, charges, before);
    return reply(answer, body, request, charges.some((c) => c.kind === 'write'));
  }

  async function batch(operation: string, request: Request, accesses: ItemAccess[], before: Map<string, WireItem>, engine: Engine) {
    const admitted: ItemAccess[] = [];
    const refused: ItemAccess[] = [];
    const charges: Charge[] = [];
    for (const access of accesses) {
      const c = charge(access, before.get(itemId(access.table, access.key)));
      if (budget.take([c]).length > 0) refused.push(access);
      else {
        admitted.push(access);
        charges.push(c);
      }
    }
    const writes = operation === 'BatchWriteItem';
    if (admitted.length === 0 && refused.length > 0) return throttlingException(writes ? 'write' : 'read', refused[0]!.table);
    const answer = await engine(operation, asking({ ...request, RequestItems: regroup(operation, request, admitted) }));
    const body = parse(answer);
    if (!billed(answer, body)) {
      budget.settle(refund(charges));
      return reply(answer, body, request, writes);
    }
    const unprocessed = writes ? 'UnprocessedItems' : 'UnprocessedKeys';
    if (refused.length > 0) body[unprocessed] = regroup(operation, request, refused, (body[unprocessed] ?? {}) as Record<string, unknown>);
    return reply(answer, body, request, writes, refused.length > 0);
  }

  async function query(request: Request, engine: Engine): Promise<EngineAnswer> {
    const pk = request['IndexName'] === undefined ? queriedPartition(request) : undefined;
    if (pk === undefined) return engine('Query', request);
    const kind = request['ConsistentRead'] === true ? 'strong' : 'eventual';
    const least: Charge = { table: String(request['TableName']), pk, kind: 'read', units: readUnits(0, kind) };
    if (budget.take([least]).length > 0) return throttlingException('read', least.table);
    const answer = await engine('Query', asking(request));
    const body = parse(answer);
    const consumed = [body.ConsumedCapacity ?? []].flat()[0]?.CapacityUnits ?? least.units;
    budget.settle([{ ...least, units: (billed(answer, body) ? consumed : 0) - least.units }]);
    return reply(answer, body, request, false);
  }

  return {
    budget,
    engineIndexWriteUnits,
    async handle(operation, raw, engine) {
      const request = JSON.parse(raw.toString('utf8')) as Request;
      if (operation === 'Query') return query(request, engine);
      if (!isItemOperation(operation)) return engine(operation, request);
      const accesses = itemAccesses(operation, request);
      const before = await currentItems(engine, accesses);
      if (!before) return engine(operation, request);
      return operation.startsWith('Batch') ? batch(operation, request, accesses, before, engine) : whole(operation, request, accesses, before, engine);
    },
  };
}
