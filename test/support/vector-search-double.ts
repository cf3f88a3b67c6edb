/**
 * DynamoDB's vector index for tests: no local engine has one, so this double, in the fault proxy
 * in front of DynamoDB Local (its `double`), plays it in DynamoDB's wire format.
 *
 * - CreateTable / UpdateTable: the vector indexes (and the search-schema attribute definitions no
 *   key uses, which DynamoDB Local would refuse as unused) are taken out before the engine sees the
 *   request and remembered per table; DescribeTable answers show them again. An index CreateTable
 *   makes is ACTIVE at once; one UpdateTable adds starts backfilling, as DynamoDB fills it from the
 *   table's items, until a test calls `setBackfilling(table, false)`.
 * - A write whose item carries the vector attribute as anything but a list of numbers of the
 *   index's dimension is refused, as DynamoDB refuses it (items of PutItem, BatchWriteItem and
 *   TransactWriteItems; an UpdateItem's SET is not checked).
 * - SearchVectors is answered here: refused as DynamoDB refuses it (ValidationException, or the
 *   engine's ResourceNotFoundException for a missing table), else the scope's items are read from
 *   the engine at search time (a Query on the table's partition key equal to the HASH search
 *   attribute's value: the pack's `memscope` is the item's pk) and ranked by exact cosine distance.
 *
 * So the double is exact and always consistent, where DynamoDB's index is approximate and
 * eventually consistent: tests must depend on neither. VectorSearchRequestBytes is the double's own
 * measure (4 bytes per dimension of each vector compared), not AWS's meter.
 */
import type {
  AttributeDefinition,
  AttributeValue,
  KeySchemaElement,
  TableDescription,
  VectorIndex,
  VectorIndexDescription,
  VectorIndexUpdate,
} from '@aws-sdk/client-dynamodb';
import { cosine } from '../../lib/memory/memory-recall';
import type { WireItem } from './capacity-units';
import { jsonAnswer, withBody, type Engine, type EngineAnswer } from './engine-answer';
import type { EngineDouble } from './fault-proxy';
import { isItemOperation, itemAccesses, type ItemOperation } from './request-items';
import { searchEqualities, ValidationError } from './search-condition';

export interface VectorSearchDouble extends EngineDouble {
  /** SearchVectors requests answered with results (refusals not counted): what shows a path searched. */
  searches: number;
  /** As DynamoDB while it fills an index from the table's items: searches are refused meanwhile. */
  setBackfilling(tableName: string, backfilling: boolean): void;
}

interface KnownIndex {
  definition: VectorIndex;
  backfilling: boolean;
}

interface KnownTable {
  indexes: Map<string, KnownIndex>;
  /** The attribute definitions taken out of the engine's request, for DescribeTable answers. */
  definitions: AttributeDefinition[];
}

interface TableRequest {
  TableName: string;
  AttributeDefinitions?: AttributeDefinition[];
  KeySchema?: KeySchemaElement[];
  GlobalSecondaryIndexes?: Array<{ KeySchema?: KeySchemaElement[] }>;
  LocalSecondaryIndexes?: Array<{ KeySchema?: KeySchemaElement[] }>;
  GlobalSecondaryIndexUpdates?: Array<{ Create?: { KeySchema?: KeySchemaElement[] } }>;
  VectorIndexes?: VectorIndex[];
  VectorIndexUpdates?: VectorIndexUpdate[];
}

interface SearchRequest {
  TableName: string;
  IndexName: string;
  SearchVector?: AttributeValue[];
  TopK?: number;
  SearchConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  ProjectionExpression?: string;
  ReturnConsumedCapacity?: string;
}

const parse = <T>(bytes: Buffer): T => JSON.parse(bytes.toString('utf8')) as T;

function validationException(message: string): EngineAnswer {
  return jsonAnswer(400, { __type: 'com.amazonaws.dynamodb.v20120810#ValidationException', message });
}

/** Attributes some key schema of the request uses: those definitions the engine needs. */
function keyAttributes(request: TableRequest): Set<string> {
  const schemas = [
    request.KeySchema,
    ...(request.GlobalSecondaryIndexes ?? []).map((index) => index.KeySchema),
    ...(request.LocalSecondaryIndexes ?? []).map((index) => index.KeySchema),
    ...(request.GlobalSecondaryIndexUpdates ?? []).map((update) => update.Create?.KeySchema),
  ];
  return new Set(schemas.flatMap((schema) => (schema ?? []).map((element) => element.AttributeName!)));
}

/** The request without its vector indexes and the definitions only they use, and those definitions. */
function withoutVectorIndexes(request: TableRequest, indexes: VectorIndex[]) {
  const { VectorIndexes: _indexes, VectorIndexUpdates: _updates, AttributeDefinitions, ...rest } = request;
  const searched = new Set(indexes.flatMap((index) => (index.SearchSchema ?? []).map((element) => element.AttributeName!)));
  const keys = keyAttributes(request);
  const taken = (definition: AttributeDefinition) => searched.has(definition.AttributeName!) && !keys.has(definition.AttributeName!);
  const kept = (AttributeDefinitions ?? []).filter((definition) => !taken(definition));
  return {
    forwarded: kept.length > 0 ? { ...rest, AttributeDefinitions: kept } : rest,
    definitions: (AttributeDefinitions ?? []).filter(taken),
  };
}

/** The index keeps float32 values: a list of numbers, or undefined when the attribute is not one. */
function float32s(value: AttributeValue | undefined): number[] | undefined {
  if (!value?.L || !value.L.every((element) => element.N !== undefined && Number.isFinite(Number(element.N)))) return undefined;
  return value.L.map((element) => Math.fround(Number(element.N)));
}

const sameValue = (a: AttributeValue | undefined, b: AttributeValue) => JSON.stringify(a) === JSON.stringify(b);

export function vectorSearchDouble(): VectorSearchDouble {
  const tables = new Map<string, KnownTable>();

  function describe(table: TableDescription): TableDescription {
    const known = tables.get(table.TableName!);
    if (!known) return table;
    const described = [...table.AttributeDefinitions ?? []];
    for (const definition of known.definitions) {
      if (!described.some((d) => d.AttributeName === definition.AttributeName)) described.push(definition);
    }
    const VectorIndexes: VectorIndexDescription[] = [...known.indexes.values()].map(({ definition, backfilling }) => ({
      ...definition,
      IndexStatus: 'ACTIVE',
      Backfilling: backfilling,
    }));
    return { ...table, AttributeDefinitions: described, ...(VectorIndexes.length > 0 ? { VectorIndexes } : {}) };
  }

  function remember(tableName: string, definitions: AttributeDefinition[]): KnownTable {
    const known: KnownTable = tables.get(tableName) ?? { indexes: new Map(), definitions: [] };
    known.definitions.push(...definitions.filter((d) => !known.definitions.some((k) => k.AttributeName === d.AttributeName)));
    tables.set(tableName, known);
    return known;
  }

  async function createTable(request: TableRequest, engine: Engine): Promise<EngineAnswer> {
    const indexes = request.VectorIndexes ?? [];
    const { forwarded, definitions } = withoutVectorIndexes(request, indexes);
    const answer = await engine('CreateTable', forwarded);
    if (answer.status !== 200) return answer;
    const known = remember(request.TableName, definitions);
    for (const definition of indexes) known.indexes.set(definition.IndexName!, { definition, backfilling: false });
    return withBody(answer, { TableDescription: describe(parse<{ TableDescription: TableDescription }>(answer.body).TableDescription) });
  }

  async function updateTable(request: TableRequest, engine: Engine): Promise<EngineAnswer> {
    const updates = request.VectorIndexUpdates ?? [];
    const created = updates.flatMap((update) => (update.Create ? [update.Create as VectorIndex] : []));
    const { forwarded, definitions } = withoutVectorIndexes(request, created);
    // UpdateTable with nothing left for the engine to change would be refused: a DescribeTable checks the table instead.
    const engineChanges = Object.keys(forwarded).some((name) => name !== 'TableName' && name !== 'AttributeDefinitions');
    const answer = engineChanges ? await engine('UpdateTable', forwarded) : await engine('DescribeTable', { TableName: request.TableName });
    if (answer.status !== 200) return answer;
    const known = remember(request.TableName, definitions);
    for (const definition of created) known.indexes.set(definition.IndexName!, { definition, backfilling: true });
    for (const update of updates) if (update.Delete) known.indexes.delete(update.Delete.IndexName!);
    const body = parse<{ TableDescription?: TableDescription; Table?: TableDescription }>(answer.body);
    return withBody(answer, { TableDescription: describe((body.TableDescription ?? body.Table)!) });
  }

  function checkVectors(operation: ItemOperation, request: Record<string, unknown>): void {
    for (const { table, item } of itemAccesses(operation, request)) {
      for (const { definition } of tables.get(table)?.indexes.values() ?? []) {
        const name = definition.VectorAttribute!.AttributeName!;
        if (item?.[name] === undefined) continue;
        const vector = float32s(item[name]);
        if (!vector) throw new ValidationError(`Invalid parameter type: ${name} must be a list of numbers for the vector index ${definition.IndexName}`);
        if (vector.length !== definition.Dimensions) {
          throw new ValidationError(`${name} has ${vector.length} dimensions; the vector index ${definition.IndexName} has ${definition.Dimensions}`);
        }
      }
    }
  }

  /** Every item of one partition, strongly consistent: the double is exact where the index is eventually consistent. */
  async function partitionItems(engine: Engine, keyName: string, value: AttributeValue, tableName: string): Promise<WireItem[]> {
    const items: WireItem[] = [];
    let ExclusiveStartKey: WireItem | undefined;
    do {
      const answer = await engine('Query', {
        TableName: tableName,
        KeyConditionExpression: '#key = :value',
        ExpressionAttributeNames: { '#key': keyName },
        ExpressionAttributeValues: { ':value': value },
        ConsistentRead: true,
        ExclusiveStartKey,
      });
      if (answer.status !== 200) throw new Error(`the double's Query failed: ${answer.body.toString('utf8')}`);
      const page = parse<{ Items?: WireItem[]; LastEvaluatedKey?: WireItem }>(answer.body);
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  async function search(request: SearchRequest, engine: Engine): Promise<EngineAnswer> {
    const described = await engine('DescribeTable', { TableName: request.TableName });
    if (described.status !== 200) return described;
    const table = parse<{ Table: TableDescription }>(described.body).Table;
    const index = tables.get(request.TableName)?.indexes.get(request.IndexName);
    if (!index) throw new ValidationError(`The table does not have the specified index: ${request.IndexName}`);
    if (index.backfilling) throw new ValidationError(`Cannot search backfilling vector index: ${request.IndexName}`);
    const { definition } = index;
    const topK = request.TopK ?? 0;
    if (!Number.isInteger(topK) || topK < 1 || topK > 100) throw new ValidationError('Provided TopK value is out of valid range');
    const query = float32s({ L: request.SearchVector ?? [] });
    if (!query) throw new ValidationError('SearchVector must be a list of numbers');
    if (query.length !== definition.Dimensions) {
      throw new ValidationError(`SearchVector has ${query.length} dimensions; the index ${request.IndexName} has ${definition.Dimensions}`);
    }
    if (request.ProjectionExpression !== undefined) throw new ValidationError('The vector search double does not support ProjectionExpression');
    const schema = definition.SearchSchema ?? [];
    const equalities = searchEqualities(
      { expression: request.SearchConditionExpression, names: request.ExpressionAttributeNames, values: request.ExpressionAttributeValues },
      schema,
    );
    const hash = schema.find((element) => element.SearchSchemaElementType === 'HASH')?.AttributeName;
    const tableKeys = (table.KeySchema ?? []).map((element) => element.AttributeName!);
    const partitionKey = table.KeySchema?.find((element) => element.KeyType === 'HASH')?.AttributeName;
    if (hash === undefined || partitionKey === undefined) throw new Error('the double searches one partition: its index needs a HASH search attribute');

    const scored = (await partitionItems(engine, partitionKey, equalities.get(hash)!, request.TableName)).flatMap((item) => {
      const vector = float32s(item[definition.VectorAttribute!.AttributeName!]);
      const matches = [...equalities].every(([name, value]) => sameValue(item[name], value));
      const distance = vector && vector.length === query.length && matches ? 1 - cosine(query, vector) : undefined;
      return distance === undefined ? [] : [{ item, distance }];
    });
    scored.sort((a, b) => a.distance - b.distance || JSON.stringify(a.item).localeCompare(JSON.stringify(b.item)));

    const projected = (item: WireItem): WireItem => {
      const { ProjectionType, NonKeyAttributes } = definition.Projection ?? {};
      if (ProjectionType === 'ALL') return item;
      const names = [...tableKeys, ...(ProjectionType === 'INCLUDE' ? NonKeyAttributes ?? [] : [])];
      return Object.fromEntries(names.filter((name) => item[name] !== undefined).map((name) => [name, item[name]!]));
    };
    const asked = request.ReturnConsumedCapacity === 'TOTAL' || request.ReturnConsumedCapacity === 'INDEXES';
    return jsonAnswer(200, {
      SearchResults: scored.slice(0, topK).map(({ item, distance }) => ({ Item: projected(item), Score: distance })),
      ...(asked ? { ConsumedCapacity: { VectorSearchRequestBytes: scored.length * query.length * 4 } } : {}),
    });
  }

  const double: VectorSearchDouble = {
    searches: 0,
    setBackfilling(tableName, backfilling) {
      for (const index of tables.get(tableName)?.indexes.values() ?? []) index.backfilling = backfilling;
    },
    async answer(operation, body, engine) {
      try {
        if (isItemOperation(operation)) {
          checkVectors(operation, parse(body));
          return undefined;
        }
        if (operation === 'SearchVectors') {
          const answer = await search(parse<SearchRequest>(body), engine);
          if (answer.status === 200) double.searches++;
          return answer;
        }
        if (operation === 'CreateTable' && parse<TableRequest>(body).VectorIndexes) return await createTable(parse(body), engine);
        if (operation === 'UpdateTable' && parse<TableRequest>(body).VectorIndexUpdates) return await updateTable(parse(body), engine);
        if (operation === 'DescribeTable') {
          const answer = await engine('DescribeTable', parse(body));
          if (answer.status !== 200) return answer;
          return withBody(answer, { Table: describe(parse<{ Table: TableDescription }>(answer.body).Table) });
        }
        if (operation === 'DeleteTable') tables.delete(parse<TableRequest>(body).TableName);
        return undefined;
      } catch (error) {
        if (error instanceof ValidationError) return validationException(error.message);
        throw error;
      }
    },
  };
  return double;
}
