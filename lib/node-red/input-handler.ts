/**
 * The one way a memory node handles a message: a blue status while it works, then green with what it
 * did and the msg sent on, or red with the reason and `done(err)` so a Catch node gets it. Nothing
 * thrown here can reach the runtime. SDK and network failures are put in plain language on the way
 * (explainAwsFailure), so no status, Catch msg or log line carries the SDK's request data, and
 * shown in the runtime's language (localizedFailure).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { explainAwsFailure } from '../memory/aws-failure';
import { withCapacityMeter } from '../memory/consumed-capacity';
import { MemoryInputError } from '../errors/input-errors';
import { localizedFailure } from './failure-message';
import type { MemoryConfigNode } from './memory-config';

/**
 * What the work did: the status text (the msg goes out on output 1), or the status text and one
 * entry per output (null: nothing on that output), for a node with more than one output. `afterSend`:
 * work that finishes the msg after it was sent on (a recall's access counts), so what comes after
 * the node need not wait for it; done() waits for it, and its failure is reported as any other.
 */
export type WorkResult = string | { status: string; outputs?: Array<NodeMessage | null>; afterSend?: Promise<unknown> };

/** Does the node's work for one msg; resolves to what it did, or rejects. */
export type MessageWork = (msg: NodeMessage) => Promise<WorkResult>;

const maxStatusLength = 60;

function shorten(text: string): string {
  return text.length <= maxStatusLength ? text : text.slice(0, maxStatusLength - 1) + '…';
}

/**
 * Runtime calls that copy the msg: Node-RED copies it for Catch and Complete nodes (and for a second
 * wire), and a msg nested thousands of levels deep overflows the stack there. Such a throw would
 * escape as an unhandled rejection and stop Node-RED; instead the error goes to Catch with the
 * msg's id only. `instead` makes that error, and turns the status red where a success left it green:
 * a failure's status is red already, and a second red status would report one failure twice.
 * False when it reported the error instead.
 */
function reportSafely(node: Node, msg: NodeMessage, report: () => void, instead: (error: unknown) => Error): boolean {
  try {
    report();
    return true;
  } catch (error) {
    node.error(instead(error), { _msgid: msg._msgid });
    return false;
  }
}

/** Shows the failure in a red status; returns it. */
function shownRed(node: Node, failure: Error): Error {
  node.status({ fill: 'red', shape: 'ring', text: shorten(failure.message) });
  return failure;
}

/**
 * connection: the node's connection (connectionOf in memory-config.ts), which tells where its
 * calls go, to explain their failures, and which is told of the msg's work, so that closing it
 * waits for the work; undefined when the node has none, and then no DynamoDB call can have failed.
 */
export function handleMessages(RED: NodeAPI, node: Node, workingText: string, work: MessageWork, connection: () => MemoryConfigNode | undefined): void {
  // A node without a connection says so at deploy, as core nodes with a missing config do, not only
  // when a msg arrives. Config nodes start before the nodes that use them, so it is there by now.
  if (!connection()) {
    const missing = localizedFailure(new MemoryInputError('input.no-connection'), RED._);
    node.status({ fill: 'red', shape: 'ring', text: shorten(missing.message) });
  }
  // Exactly three parameters: that is how the runtime knows this handler calls done.
  node.on('input', (msg: NodeMessage, send: (msg: NodeMessage | Array<NodeMessage | null>) => void, done: (err?: Error) => void) => {
    node.status({ fill: 'blue', shape: 'dot', text: workingText });
    const metered = withCapacityMeter(() => work(msg));
    // Closing waits for the whole of it, what runs after the send too.
    connection()?.track(metered.result.then((result) => (typeof result === 'string' ? undefined : result.afterSend)));
    // What this node's calls cost, on the msg it sends on (output 1) and on the one Catch gets.
    const putCapacity = () => Object.assign(msg, { consumedCapacity: metered.capacity() });
    const fail = (error: unknown) => {
      const failure = shownRed(node, localizedFailure(explainAwsFailure(error, connection()?.place ?? { tableName: '' }), RED._));
      reportSafely(node, msg, () => done(failure), () => failure);
    };
    metered.result.then(
      (result) => {
        putCapacity();
        const { status: statusText, outputs, afterSend }: Exclude<WorkResult, string> = typeof result === 'string' ? { status: result } : result;
        node.status({ fill: 'green', shape: 'dot', text: shorten(statusText) });
        const notCopied = (error: unknown) => shownRed(node, new Error(`Node-RED could not copy the msg to pass it on (${String(error)}); is it nested thousands of levels deep?`));
        const sentOn = reportSafely(node, msg, () => {
          send(outputs ?? msg);
          if (!afterSend) done();
        }, notCopied);
        // done() copies the msg for Complete nodes as a send does: called bare after the work, a deep
        // msg's throw was an unhandled rejection and the msg never finished. A msg that could not be
        // sent on has gone to Catch already, and is not finished twice.
        if (sentOn) afterSend?.then(() => reportSafely(node, msg, () => done(), notCopied), fail);
      },
      (error: unknown) => {
        putCapacity();
        fail(error);
      },
    );
  });
}
