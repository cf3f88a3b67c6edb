/**
 * How DynamoDB bills an item: a write unit per 1 KB (rounded up), a read unit per 4 KB strongly
 * consistent and half that eventually consistent; a transaction pays twice. Sizes follow
 * lib/memory/item-size.ts, on the wire format a request carries (which covers what this pack
 * writes: strings, numbers, booleans, null, maps and lists; not sets or binary).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { itemBytes } from '../../lib/memory/item-size';

export type WireItem = Record<string, AttributeValue>;

export type ReadKind = 'eventual' | 'strong' | 'transactional';

export function wireItemBytes(item: WireItem | undefined): number {
  return item === undefined ? 0 : itemBytes(unmarshall(item));
}

/** Even an item that is not there costs a unit: DynamoDB bills the attempt. */
export function writeUnits(bytes: number, transactional: boolean): number {
  return Math.max(1, Math.ceil(bytes / 1024)) * (transactional ? 2 : 1);
}

export function readUnits(bytes: number, kind: ReadKind): number {
  const factor = { eventual: 0.5, strong: 1, transactional: 2 }[kind];
  return Math.max(1, Math.ceil(bytes / 4096)) * factor;
}
