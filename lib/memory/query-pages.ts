/**
 * Reading a Query page by page, and handing a page position to a flow. Every paginated read in the
 * core goes through here.
 */
import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { MemoryInputError } from '../errors/input-errors';

type Key = Record<string, unknown>;

/**
 * The query's pages, each asked for only when the caller reads on (break out to stop early).
 * `nextLimit` sets each next page's Limit from the last one's: growing (a read that usually needs
 * one small page then takes a few round trips, not dozens, when it needs many), or what is still
 * missing (so a filtered read is billed for no more than it needs).
 */
export async function* queryPages(
  documents: DynamoDBDocumentClient,
  input: QueryCommandInput,
  options: { nextLimit?: (last: number) => number } = {},
): AsyncGenerator<QueryCommandOutput> {
  let startKey: Key | undefined = input.ExclusiveStartKey;
  let limit = input.Limit;
  do {
    const page = await documents.send(new QueryCommand({ ...input, Limit: limit, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }));
    yield page;
    startKey = page.LastEvaluatedKey;
    if (options.nextLimit !== undefined && limit !== undefined) limit = options.nextLimit(limit);
  } while (startKey);
}

/**
 * A page position as an opaque string. It carries only the key attributes that vary from page to
 * page; the partition keys come from the request when it is read back, so a cursor can never lead
 * into another user's or graph's items.
 */
export const pageCursor = {
  encode(lastKey: Key, variable: readonly string[]): string {
    return Buffer.from(JSON.stringify(variable.map((name) => lastKey[name]))).toString('base64url');
  },
  decode(cursor: string, fixed: Record<string, string>, variable: readonly string[]): Key {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const valid = Array.isArray(parsed) && parsed.length === variable.length && parsed.every((p) => typeof p === 'string');
    if (!valid) throw new MemoryInputError('input.page-cursor', { field: 'cursor' });
    return { ...fixed, ...Object.fromEntries(variable.map((name, i) => [name, (parsed as string[])[i]])) };
  },
};
