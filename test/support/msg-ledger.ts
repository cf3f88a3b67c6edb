/**
 * Counts, per `_msgid`, how a memory node finished each msg: done() reaches the flow's Complete node
 * (helper `completed`), done(err) its Catch node (helper `caught`), and each error turns the node's
 * status red. A msg is finished right when exactly one of the two saw it, once.
 */
import type { MemoryFlow, Msg } from './node-flow';

export interface Ledger {
  /** Msgids finished other than exactly once (missing, twice, or both ways), with their counts. */
  unfinished(msgids: Iterable<string>): string[];
  redStatuses(): number;
  /** done(err)s seen, also of msgs sent on before done(err) (a recall whose access counts failed). */
  failures(): number;
  stop(): void;
}

export function watchFinishes(flow: MemoryFlow, nodeId: string): Ledger {
  const finishes = new Map<string, { done: number; failed: number }>();
  let red = 0;
  const count = (msgid: unknown, how: 'done' | 'failed') => {
    const entry = finishes.get(String(msgid)) ?? { done: 0, failed: 0 };
    entry[how]++;
    finishes.set(String(msgid), entry);
  };
  const onCompleted = (m: Msg) => {
    if ((m['complete'] as { source: { id: string } }).source.id === nodeId) count(m['_msgid'], 'done');
  };
  const onCaught = (m: Msg) => {
    if ((m['error'] as { source: { id: string } }).source.id === nodeId) count(m['_msgid'], 'failed');
  };
  const node = flow.node(nodeId);
  const status = node.status.bind(node);
  node.status = (s: string | { fill?: string }) => {
    if (typeof s === 'object' && s.fill === 'red') red++;
    status(s as never);
  };
  flow.node('completed').on('input', onCompleted);
  flow.node('caught').on('input', onCaught);
  return {
    unfinished(msgids) {
      return [...msgids].flatMap((id) => {
        const f = finishes.get(id) ?? { done: 0, failed: 0 };
        return f.done + f.failed === 1 ? [] : [`${id}: done() ${f.done}×, done(err) ${f.failed}×`];
      });
    },
    redStatuses: () => red,
    failures: () => [...finishes.values()].reduce((sum, f) => sum + f.failed, 0),
    stop() {
      node.status = status;
      flow.node('completed').removeListener('input', onCompleted);
      flow.node('caught').removeListener('input', onCaught);
    },
  };
}
