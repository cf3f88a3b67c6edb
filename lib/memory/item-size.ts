/**
 * The size DynamoDB counts for an item, by its published rules: attribute names and strings in
 * UTF-8 bytes, numbers about one byte per two digits plus one, 3 bytes of overhead per map or list
 * and 1 per element. Used to refuse a message that cannot fit before anything is written.
 */

/** DynamoDB's limit for one item, names and values together. */
export const maxItemBytes = 400 * 1024;

function valueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') {
    const digits = String(Math.abs(value)).replace(/[^0-9]/g, '').replace(/^0+/, '').length;
    return Math.ceil(digits / 2) + 1;
  }
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + valueBytes(v) + 1, 3);
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).reduce(
      (sum, [k, v]) => (v === undefined ? sum : sum + Buffer.byteLength(k, 'utf8') + valueBytes(v) + 1),
      3,
    );
  }
  return 0;
}

export function itemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce(
    (sum, [k, v]) => (v === undefined ? sum : sum + Buffer.byteLength(k, 'utf8') + valueBytes(v)),
    0,
  );
}
