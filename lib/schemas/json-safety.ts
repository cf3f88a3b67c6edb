import type { TextValues } from '../errors/input-errors';
import type { InputText } from '../errors/input-texts';

/**
 * What user-supplied JSON (message content, metadata) may hold, so that it round-trips through
 * DynamoDB unchanged and can never reach an object prototype. Registered as the ajv keyword
 * `jsonSafe`, so the rule lives in the schemas like every other rule.
 */

/**
 * DynamoDB refuses documents nested deeper than 32 levels, and counts the item as the first of
 * them: an attribute's value may nest 31.
 */
export const maxNestingDepth = 31;

/** Keys that would set or shadow a prototype when a stored document is read back into an object. */
export const forbiddenKeyNames = ['__proto__', 'constructor', 'prototype'] as const;
const forbiddenKeys = new Set<string>(forbiddenKeyNames);

/**
 * DynamoDB numbers have a magnitude between 1e-130 and 1e126, and the document client refuses any
 * beyond Number.MAX_SAFE_INTEGER (it cannot tell that it would store it exactly).
 */
function isStorableNumber(n: number): boolean {
  if (!Number.isFinite(n)) return false;
  const magnitude = Math.abs(n);
  return magnitude === 0 || (magnitude >= 1e-130 && magnitude <= Number.MAX_SAFE_INTEGER);
}

/**
 * An object literal of any realm: its prototype is null or an `Object.prototype` (whose own
 * prototype is null). Objects built in a Node-RED function node come from the node's vm context,
 * whose `Object.prototype` is not this one; class instances, Dates and Buffers have a longer chain.
 */
function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return true;
  return Object.getPrototypeOf(proto) === null && Object.prototype.toString.call(value) === '[object Object]';
}

/** Why a value cannot be stored: a text of input-texts.ts and its values but `__field__`. */
export interface JsonSafetyProblem {
  text: InputText;
  values: TextValues;
}

/**
 * Returns why `value` cannot be stored, or undefined when it can; `path` names the part at fault
 * ("value" for all of it). Walks iteratively: generated inputs nested thousands deep must give an
 * error, not a stack overflow.
 */
export function jsonSafetyProblem(value: unknown): JsonSafetyProblem | undefined {
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  while (pending.length > 0) {
    const { value: current, path, depth } = pending.pop()!;
    switch (typeof current) {
      case 'string':
      case 'boolean':
      case 'undefined': // dropped on write, as JSON.stringify drops it
        continue;
      case 'number':
        if (!isStorableNumber(current)) return { text: 'input.json-number', values: { path: path || 'value', number: String(current) } };
        continue;
      case 'object':
        break;
      default:
        return { text: 'input.json-type', values: { path: path || 'value', type: typeof current } };
    }
    if (current === null) continue;
    if (depth >= maxNestingDepth) return { text: 'input.json-depth', values: { path: path || 'value', maxDepth: maxNestingDepth } };
    if (Array.isArray(current)) {
      current.forEach((item, i) => pending.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    if (!isPlainObject(current)) return { text: 'input.json-class', values: { path: path || 'value', className: current.constructor?.name ?? 'class' } };
    for (const [k, v] of Object.entries(current)) {
      if (forbiddenKeys.has(k)) return { text: 'input.json-key', values: { path: path || 'value', key: k } };
      pending.push({ value: v, path: path ? `${path}.${k}` : k, depth: depth + 1 });
    }
  }
  return undefined;
}
