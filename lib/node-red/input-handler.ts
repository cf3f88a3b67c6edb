/**
 * The one way a memory node handles a message: a blue status while it works, then green with what it
 * did and the msg sent on, or red with the reason and `done(err)` so a Catch node gets it. Nothing
 * thrown here can reach the runtime.
 */
import type { Node, NodeMessage } from 'node-red';

/** Does the node's work for one msg; resolves to the status text to show, or rejects. */
export type MessageWork = (msg: NodeMessage) => Promise<string>;

const maxStatusLength = 60;

function shorten(text: string): string {
  return text.length <= maxStatusLength ? text : text.slice(0, maxStatusLength - 1) + '…';
}

export function handleMessages(node: Node, workingText: string, work: MessageWork): void {
  // Exactly three parameters: that is how the runtime knows this handler calls done.
  node.on('input', (msg: NodeMessage, send: (msg: NodeMessage) => void, done: (err?: Error) => void) => {
    node.status({ fill: 'blue', shape: 'dot', text: workingText });
    work(msg).then(
      (statusText) => {
        node.status({ fill: 'green', shape: 'dot', text: shorten(statusText) });
        send(msg);
        done();
      },
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        node.status({ fill: 'red', shape: 'ring', text: shorten(failure.message) });
        done(failure);
      },
    );
  });
}
