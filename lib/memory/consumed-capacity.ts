/**
 * What DynamoDB billed for the calls one piece of work made. A client made by connect() asks every
 * call that can say for `ReturnConsumedCapacity: INDEXES` and adds the answer to the meter of the
 * work it belongs to: an AsyncLocalStorage scope, so calls made in parallel, in retries or deep in
 * the core are all counted without passing a meter through every function.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** One call's units as DynamoDB reported them: the table's and, by name, each index's. */
export interface CallCapacity {
  operation: string;
  readUnits: number;
  writeUnits: number;
  /** Of those, what went to the table itself, and to each index (units billed on the index's own partitions). */
  table: { readUnits: number; writeUnits: number };
  indexes?: Record<string, { readUnits: number; writeUnits: number }>;
}

export interface ConsumedCapacity {
  readUnits: number;
  writeUnits: number;
  calls: CallCapacity[];
}

/** The operations DynamoDB reports consumed capacity for, and whether they read or write. */
const reportingOperations: Record<string, 'read' | 'write'> = {
  GetItem: 'read', Query: 'read', Scan: 'read', BatchGetItem: 'read', TransactGetItems: 'read',
  PutItem: 'write', UpdateItem: 'write', DeleteItem: 'write', BatchWriteItem: 'write', TransactWriteItems: 'write',
};

interface Reported {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  Table?: Reported;
  GlobalSecondaryIndexes?: Record<string, Reported>;
  LocalSecondaryIndexes?: Record<string, Reported>;
}

const meters = new AsyncLocalStorage<CallCapacity[]>();

/**
 * Units of one reported figure. A call that only reads or only writes reports `CapacityUnits`;
 * which kind they are follows from the operation.
 */
function units(reported: Reported | undefined, kind: 'read' | 'write'): { readUnits: number; writeUnits: number } {
  const total = reported?.CapacityUnits ?? 0;
  return {
    readUnits: reported?.ReadCapacityUnits ?? (kind === 'read' ? total : 0),
    writeUnits: reported?.WriteCapacityUnits ?? (kind === 'write' ? total : 0),
  };
}

function callCapacity(operation: string, kind: 'read' | 'write', reported: Reported[]): CallCapacity {
  const call: CallCapacity = { operation, readUnits: 0, writeUnits: 0, table: { readUnits: 0, writeUnits: 0 } };
  for (const figure of reported) {
    const all = units(figure, kind);
    call.readUnits += all.readUnits;
    call.writeUnits += all.writeUnits;
    // Without a breakdown (ReturnConsumedCapacity TOTAL, or an engine that gives none) it is all the table's.
    const table = figure.Table ? units(figure.Table, kind) : all;
    call.table.readUnits += table.readUnits;
    call.table.writeUnits += table.writeUnits;
    for (const [name, index] of Object.entries({ ...figure.GlobalSecondaryIndexes, ...figure.LocalSecondaryIndexes })) {
      const indexUnits = units(index, kind);
      const into = ((call.indexes ??= {})[name] ??= { readUnits: 0, writeUnits: 0 });
      into.readUnits += indexUnits.readUnits;
      into.writeUnits += indexUnits.writeUnits;
    }
  }
  return call;
}

/** Makes every call of the client report its consumed capacity to the meter it runs under. */
export function meterConsumedCapacity(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const kind = reportingOperations[operation];
      const meter = meters.getStore();
      if (kind === undefined || meter === undefined) return next(args);
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'INDEXES';
      const result = await next(args);
      const reported = (result.output as { ConsumedCapacity?: Reported | Reported[] }).ConsumedCapacity;
      if (reported !== undefined) meter.push(callCapacity(operation, kind, Array.isArray(reported) ? reported : [reported]));
      return result;
    },
    { step: 'initialize', name: 'flowmemoryConsumedCapacity', override: true },
  );
}

function summed(calls: CallCapacity[]): ConsumedCapacity {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    readUnits: round(calls.reduce((sum, call) => sum + call.readUnits, 0)),
    writeUnits: round(calls.reduce((sum, call) => sum + call.writeUnits, 0)),
    calls: [...calls],
  };
}

/**
 * Runs the work with a meter of its own; `capacity()` tells what its calls consumed so far, also
 * when the work failed. A call that fails reports nothing, though DynamoDB may bill it (a
 * cancelled transaction, a failed condition): those units are missing from the figure.
 */
export function withCapacityMeter<T>(work: () => Promise<T>): { result: Promise<T>; capacity: () => ConsumedCapacity } {
  const calls: CallCapacity[] = [];
  return { result: meters.run(calls, work), capacity: () => summed(calls) };
}
