/**
 * What the generated-input test (test/reliability/generated-input.test.ts) knows of each memory
 * node it fuzzes: how a valid msg looks, which fields to corrupt, and what "whole" means for what
 * the node writes.
 */
import type { MsgShape } from './generated-msgs';
import type { MemoryFlow, Msg } from './node-flow';

export type Item = Record<string, unknown>;

/** Msgs a node has in flight at once, during the test and its prepare. */
export const inFlight = 12;

/**
 * How a msg ended: done(err) with its error, or done(); `sent` is what the node sent for it (a node
 * that sends on output 1 always: that msg; one that may send elsewhere or nothing: its first sent, if any).
 */
export interface Finish {
  sent?: Msg;
  error?: string;
}

export interface Result {
  msg: Msg;
  msgid: string;
  outcome: Finish | 'hung';
}

/** A msg the test sends: its index (which makes its ids unique) and its valid form's variant. */
export interface Planned {
  index: number;
  variant: number;
}

export interface NodeSpec {
  id: string;
  shape: MsgShape;
  /**
   * True for a node that may send a msg on another output than the first, or on none (the extract
   * node): a msg succeeded when it finished with done(). Otherwise only a msg sent on output 1 has.
   */
  anyOutput?: true;
  /** Msgs to send when FUZZ_MSGS does not say (default 10,000): for nodes too slow for that in CI. */
  msgs?: number;
  /** A valid msg (a new object each call); i makes its ids unique, variant picks its form. */
  valid(i: number, variant: number): Msg;
  /** The partitions a msg names (and may write). */
  partitions(msg: Msg): string[];
  /** What is partly written in the table after this node's msgs. */
  problems(items: Item[], results: Result[]): string[];
  /** Writes what the valid msgs rely on, so that each of them can succeed. */
  prepare?(flow: MemoryFlow, planned: Planned[]): Promise<void>;
}

/** A msg field that is a string, else undefined (a corrupted one may be anything). */
export const text = (x: unknown) => (typeof x === 'string' ? x : undefined);
/** The partition of a msg's field, `prefix` + its value, when the field is a string. */
export const partitionOf = (prefix: string, id: unknown) => (text(id) === undefined ? [] : [prefix + text(id)]);
export const sessionPk = (msg: Msg) => partitionOf('SESSION#', msg['sessionId']);
