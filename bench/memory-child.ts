/**
 * Case 5 in a process of its own (run with --expose-gc): stores and loads `count` messages through
 * the store and history nodes of an in-process Node-RED runtime, 32 at a time, and prints the
 * resident memory after a forced GC once 1,000 have gone through and again at the end.
 *   node --expose-gc dist/bench/memory-child.js <endpoint> <table> <count>
 */
import { sampleText } from './engine';
import { nodeHistory, nodeStore } from './node-cases';
import { startNodeRuntime, stopNodeRed } from './node-runtime';
import { throughput } from './stats';

function settledRss(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().rss;
}

async function main() {
  const [endpoint, tableName, countText] = process.argv.slice(2);
  const count = Number(countText);
  const runtime = await startNodeRuntime(endpoint!, tableName!);
  const turn = async (_loop: number, i: number) => {
    const sessionId = `memory-${i % 200}`;
    await nodeStore(runtime, sessionId, `${sampleText} #${i}`);
    await nodeHistory(runtime, sessionId);
  };
  const first = 1000;
  await throughput(32, first, turn);
  const rssAtFirst = settledRss();
  const heapAtFirst = process.memoryUsage().heapUsed;
  const samples: number[] = [];
  const step = Math.max(1000, Math.floor((count - first) / 10));
  for (let done = first; done < count; done += step) {
    const n = Math.min(step, count - done);
    await throughput(32, n, (loop, i) => turn(loop, done + i));
    samples.push(settledRss());
  }
  const rssAtEnd = samples[samples.length - 1] ?? rssAtFirst;
  const result = { count, first, rssAtFirst, rssAtEnd, heapAtFirst, heapAtEnd: process.memoryUsage().heapUsed, samples };
  await runtime.stop();
  await stopNodeRed();
  process.stdout.write('\nRESULT ' + JSON.stringify(result) + '\n');
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
