/**
 * Which items a DynamoDB request (as it goes over the wire) reads or writes, and how: what the
 * partition-throughput simulator bills. Keys are the table's `pk`/`sk` (lib/memory/table-layout.ts).
 */
import { attribute } from '../../lib/memory/table-layout';
import type { ReadKind, WireItem } from './capacity-units';

export interface ItemAccess {
  table: string;
  key: WireItem;
  action: 'put' | 'update' | 'delete' | 'check' | 'read';
  /** What a put writes, whose size counts as well as the replaced item's. */
  item?: WireItem;
  read?: ReadKind;
  transactional: boolean;
  /** The element of the request it came from, to hand back unprocessed. */
  source: unknown;
}

/** The operations billed item by item (a Query is billed on what it read; anything else passes unbilled). */
const itemOperations = [
  'PutItem', 'UpdateItem', 'DeleteItem', 'GetItem', 'BatchWriteItem', 'BatchGetItem', 'TransactWriteItems', 'TransactGetItems',
] as const;

export type ItemOperation = (typeof itemOperations)[number];

type Request = Record<string, unknown>;
type TableRequest = { TableName: string; Key?: WireItem; Item?: WireItem; ConsistentRead?: boolean };

function keyOf(item: WireItem): WireItem {
  const { [attribute.partitionKey]: pk, [attribute.sortKey]: sk } = item;
  return { [attribute.partitionKey]: pk!, ...(sk ? { [attribute.sortKey]: sk } : {}) };
}

/** The partition key value an access is billed to. */
export function partitionOf(access: ItemAccess): string {
  return String(Object.values(access.key[attribute.partitionKey] ?? {})[0]);
}

export function isItemOperation(operation: string): operation is ItemOperation {
  return (itemOperations as readonly string[]).includes(operation);
}

function single(action: ItemAccess['action'], r: TableRequest, transactional: boolean, source: unknown): ItemAccess {
  const read = action !== 'read' ? undefined : transactional ? 'transactional' : r.ConsistentRead ? 'strong' : 'eventual';
  return {
    table: r.TableName,
    key: r.Item ? keyOf(r.Item) : r.Key!,
    action,
    ...(r.Item ? { item: r.Item } : {}),
    ...(read ? { read } : {}),
    transactional,
    source,
  };
}

const transactActions = { Put: 'put', Update: 'update', Delete: 'delete', ConditionCheck: 'check', Get: 'read' } as const;

/** In the request's own order: a transaction's cancellation reasons are listed in that order. */
export function itemAccesses(operation: ItemOperation, request: Request): ItemAccess[] {
  const r = request as TableRequest;
  switch (operation) {
    case 'PutItem': return [single('put', r, false, request)];
    case 'UpdateItem': return [single('update', r, false, request)];
    case 'DeleteItem': return [single('delete', r, false, request)];
    case 'GetItem': return [single('read', r, false, request)];
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return (request['TransactItems'] as Array<Record<string, TableRequest>>).map((element) => {
        const [name, part] = Object.entries(element)[0]!;
        return single(transactActions[name as keyof typeof transactActions], part, true, element);
      });
    case 'BatchWriteItem':
      return Object.entries(request['RequestItems'] as Record<string, Array<{ PutRequest?: { Item: WireItem }; DeleteRequest?: { Key: WireItem } }>>)
        .flatMap(([TableName, writes]) => writes.map((write) => write.PutRequest
          ? single('put', { TableName, Item: write.PutRequest.Item }, false, write)
          : single('delete', { TableName, Key: write.DeleteRequest!.Key }, false, write)));
    case 'BatchGetItem':
      return Object.entries(request['RequestItems'] as Record<string, { Keys: WireItem[]; ConsistentRead?: boolean }>)
        .flatMap(([TableName, { Keys, ConsistentRead }]) => Keys.map((Key) => single('read', { TableName, Key, ConsistentRead }, false, Key)));
  }
}

/** A Query's partition key value, from its key condition (`pk = :value`, names and values resolved). */
export function queriedPartition(request: Request): string | undefined {
  const names = (request['ExpressionAttributeNames'] ?? {}) as Record<string, string>;
  const values = (request['ExpressionAttributeValues'] ?? {}) as WireItem;
  for (const [, name, value] of String(request['KeyConditionExpression'] ?? '').matchAll(/([#\w.]+)\s*=\s*(:\w+)/g)) {
    if ((names[name!] ?? name) === attribute.partitionKey && values[value!]) return String(Object.values(values[value!]!)[0]);
  }
  return undefined;
}
