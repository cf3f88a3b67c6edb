/** Reads a TypedInput (msg, flow, global, str, env, jsonata…) for one message. */
import type { Node, NodeAPI, NodeMessage } from 'node-red';

export interface TypedProperty {
  value: string;
  type: string;
}

/**
 * The property's value for this msg. Uses the callback form, which Node-RED 4 needs for JSONata and
 * for asynchronous context stores.
 */
export function evaluateProperty(RED: NodeAPI, node: Node, msg: NodeMessage, property: TypedProperty): Promise<unknown> {
  return new Promise((resolve, reject) => {
    try {
      RED.util.evaluateNodeProperty(property.value, property.type, node, msg, (error, result) =>
        error ? reject(error) : resolve(result),
      );
    } catch (error) {
      // Some types (a malformed JSON literal, a bad msg path) throw instead of calling back.
      reject(error);
    }
  });
}

/** An optional id: a blank field, a blank value or a missing msg property all mean "not given". */
export async function evaluateOptional(
  RED: NodeAPI,
  node: Node,
  msg: NodeMessage,
  property: TypedProperty,
): Promise<unknown> {
  if (property.value === '' && property.type !== 'str') return undefined;
  const value = await evaluateProperty(RED, node, msg, property);
  return value === '' || value === null ? undefined : value;
}

/** Drops undefined fields, so a schema sees an absent field as absent, not as the wrong type. */
export function definedFields<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A number typed in the node's editor; blank means "not set" (and the schema judges the rest). */
export function configuredNumber(value: string | undefined): number | undefined {
  return value === '' || value === undefined ? undefined : Number(value);
}
