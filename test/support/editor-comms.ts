/**
 * What a person sees of a real Node-RED (a child process) in the editor: its websocket (debug
 * messages, statuses, notifications) and its inject buttons.
 */
import WebSocket from 'ws';
import { adminApi } from '../../scripts/node-red-process';

export type CommsEvent = { topic: string; data: Record<string, unknown> };

export interface Comms {
  /** Every event received on the subscribed topics, in order. */
  events: CommsEvent[];
  /** The raw text received, for failure messages. */
  raw: string[];
  /**
   * The first event after the `seen`-th that `matches`; waits for it while none has arrived (a
   * child process on a loaded machine may take long, so `timeoutMs` only turns a hang into an error).
   */
  next(matches: (event: CommsEvent) => boolean, seen?: number, timeoutMs?: number): Promise<CommsEvent>;
  close(): void;
}

/** The editor's websocket: every event on the topics it subscribes to. */
export async function openComms(url: string, topics: string[]): Promise<Comms> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/comms`);
  await new Promise((done, fail) => {
    ws.once('open', done);
    ws.once('error', fail);
  });
  const events: CommsEvent[] = [];
  const raw: string[] = [];
  const waiting = new Set<() => void>();
  ws.on('message', (data: WebSocket.RawData) => {
    const text = data.toString();
    raw.push(text);
    const parsed = JSON.parse(text) as CommsEvent | CommsEvent[];
    events.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    for (const wake of waiting) wake();
  });
  for (const topic of topics) ws.send(JSON.stringify({ subscribe: topic }));
  return {
    events,
    raw,
    next(matches, seen = 0, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          const found = events.slice(seen).find(matches);
          if (!found) return;
          finish();
          resolve(found);
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no such event on the editor's websocket; it received:\n${raw.join('\n')}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiting.delete(look);
        };
        waiting.add(look);
        look();
      });
    },
    close: () => ws.close(),
  };
}

/**
 * Clicks an inject node's button, as the editor does (POST /inject/:id). POST /flows answers before
 * the new flow has started, so a node not there yet is asked again for up to `settleMs`.
 */
export async function pressInject(url: string, id: string, settleMs = 30_000): Promise<void> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    try {
      await adminApi(url, `/inject/${id}`, { method: 'POST', body: {} });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((done) => setTimeout(done, 200));
    }
  }
}
