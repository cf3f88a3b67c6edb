/**
 * Bad msgs for the memory nodes, generated with fast-check: a valid msg with 1 to 3 corruptions of
 * the fields the node reads, or the valid msg itself. fast-check draws only small recipes; the
 * msgs (some of them hundreds of KB) are built from a recipe when it is sent, so 10,000 of them
 * never sit in memory at once.
 */
import fc from 'fast-check';
import type { Msg } from './node-flow';

/** A field of the msg by its path (`payload.0.content`), as a node reads it. */
export type FieldPath = string;

export type Corruption =
  | { kind: 'value'; path: FieldPath; value: unknown }
  | { kind: 'missing'; path: FieldPath }
  | { kind: 'huge'; path: FieldPath; length: number; unit: string }
  | { kind: 'bad-id'; path: FieldPath; at: number; insert: string }
  | { kind: 'prototype-keys'; path: FieldPath; json: string; depth: number }
  | { kind: 'deep'; path: FieldPath; depth: number; array: boolean }
  | { kind: 'top-level-proto'; json: string };

export interface Recipe {
  /** Which valid msg the corruptions start from (the node's spec picks by it). */
  variant: number;
  corruptions: Corruption[];
}

/** What each node reads from a msg: its fields, and which of them are ids (DynamoDB key parts). */
export interface MsgShape {
  fields: FieldPath[];
  ids: FieldPath[];
}

/** Values of every type a msg can carry that no field of a memory node takes as it is. */
const strangeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e300, -1e300, 1e-200, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, 0.5),
  fc.double(),
  fc.integer(),
  fc.bigInt(),
  fc.boolean(),
  fc.constantFrom(null, undefined, '', ' ', 'toString', '__proto__', 'constructor', 'prototype', 'hasOwnProperty'),
  fc.date({ noInvalidDate: false }),
  fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom(() => 'a function', Symbol('a symbol'), new Map([['a', 1]]), new Set([1]), /regex/, new Error('an error')),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('\ud800', 'a\udfffb', '🦜🦜', '\u0000', '\u200b', 'Ω≈ç√∫', '\u{10ffff}', 'ｆｕｌｌ'),
  fc.array(fc.anything({ maxDepth: 2, withBigInt: true, withDate: true, withNullPrototype: true }), { maxLength: 4 }),
  fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withBoxedValues: true }),
);

/** Keys that would reach a prototype, as real own keys (JSON.parse defines `__proto__` as one). */
const prototypeJson = fc.constantFrom(
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"prototype":{"polluted":"yes"}}',
  '{"ok":1,"nested":{"__proto__":{"polluted":"yes"}}}',
  '[{"__proto__":{"polluted":"yes"}}]',
  '{"__proto__":"not an object"}',
);

function corruption(shape: MsgShape): fc.Arbitrary<Corruption> {
  const anyField = fc.constantFrom(...shape.fields);
  const idField = fc.constantFrom(...shape.ids);
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('value' as const), path: anyField, value: strangeValue }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('missing' as const), path: anyField }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('huge' as const),
        path: anyField,
        // Ids just over 256 characters, content just over 400 KB, and sizes between.
        length: fc.oneof(fc.integer({ min: 257, max: 2000 }), fc.integer({ min: 400 * 1024, max: 420 * 1024 })),
        unit: fc.constantFrom('x', 'é', '語', '🦜', '\ud800'),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('bad-id' as const),
        path: idField,
        at: fc.nat(),
        insert: fc.constantFrom('#', '##', '\u0000', '\n', '\t', '\u001f', '\u007f', '\r\n', '\ud800', '\udc00', '🦜', 'é', ' '),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('prototype-keys' as const), path: anyField, json: prototypeJson, depth: fc.nat({ max: 3 }) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('deep' as const),
        path: anyField,
        depth: fc.oneof(fc.integer({ min: 30, max: 40 }), fc.integer({ min: 41, max: 3000 })),
        array: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('top-level-proto' as const), json: prototypeJson }) },
  );
}

/** Recipes for one node: `validShare` of them valid, the rest with 1 to 3 corruptions. */
export function recipes(shape: MsgShape, count: number, seed: number, validShare: number): Recipe[] {
  const valid = Math.round(1000 * validShare);
  const arbitrary = fc.record({
    variant: fc.nat(),
    // Unbiased: fast-check favours small integers, which would make far more msgs valid than asked.
    corruptions: fc.noBias(fc.integer({ min: 0, max: 999 })).chain(
      (roll): fc.Arbitrary<Corruption[]> => (roll < valid ? fc.constant([]) : fc.array(corruption(shape), { minLength: 1, maxLength: 3 })),
    ),
  });
  return fc.sample(arbitrary, { seed, numRuns: count });
}

function deepValue(depth: number, array: boolean): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = array ? [value] : { level: value };
  return value;
}

function withPrototypeKeys(json: string, depth: number): unknown {
  let value: unknown = JSON.parse(json);
  for (let i = 0; i < depth; i++) value = { inner: value };
  return value;
}

/** The containing object of a path and its last key; undefined where an earlier corruption removed it. */
function locate(msg: Msg, path: FieldPath): { parent: Record<string, unknown>; key: string } | undefined {
  const parts = path.split('.');
  let parent: unknown = msg;
  for (const part of parts.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return undefined;
    parent = (parent as Record<string, unknown>)[part];
  }
  if (typeof parent !== 'object' || parent === null) return undefined;
  return { parent: parent as Record<string, unknown>, key: parts[parts.length - 1]! };
}

/** Sets an own, enumerable property, even one named `__proto__`. */
function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A value that refuses a corruption (a typed array's index cannot be deleted) stays as it is. */
function corrupt(msg: Msg, c: Corruption): void {
  try {
    corruptField(msg, c);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
}

function corruptField(msg: Msg, c: Corruption): void {
  if (c.kind === 'top-level-proto') {
    const extra = JSON.parse(c.json) as unknown;
    if (typeof extra === 'object' && extra !== null && !Array.isArray(extra)) {
      for (const [k, v] of Object.entries(extra)) define(msg, k, v);
    }
    return;
  }
  const at = locate(msg, c.path);
  if (!at) return;
  const { parent, key } = at;
  const current = parent[key];
  switch (c.kind) {
    case 'value':
      return define(parent, key, c.value);
    case 'missing':
      delete parent[key];
      return;
    case 'huge':
      return define(parent, key, c.unit.repeat(c.length));
    case 'bad-id': {
      const text = typeof current === 'string' ? current : 'id';
      const i = c.at % (text.length + 1);
      return define(parent, key, text.slice(0, i) + c.insert + text.slice(i));
    }
    case 'prototype-keys':
      return define(parent, key, withPrototypeKeys(c.json, c.depth));
    case 'deep':
      return define(parent, key, deepValue(c.depth, c.array));
  }
}

/** The msg of a recipe: the valid msg, corrupted. */
export function buildMsg(valid: Msg, recipe: Recipe): Msg {
  for (const c of recipe.corruptions) corrupt(valid, c);
  return valid;
}
