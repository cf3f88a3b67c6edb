// The helper ships no types; these are the calls the tests make.
declare module 'node-red-node-test-helper' {
  import type { Node } from 'node-red';
  interface TestHelper {
    init(nodeRedRuntime: string, userSettings?: Record<string, unknown>): void;
    load(nodes: unknown[], flow: object[], credentials?: Record<string, object>): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): Node & { receive(msg: object): void };
    startServer(done: () => void): void;
    stopServer(done: () => void): void;
    settings(settings: Record<string, unknown>): void;
    /** A supertest request on the admin app (the one RED.httpAdmin routes go to). */
    request(): { post(path: string): { send(body: object): PromiseLike<{ status: number; body: unknown }> } };
    /** The sinon sandbox of its spies on Node.prototype (send, status, error, log, …) and on the log. */
    _sandbox: { resetHistory(): void };
  }
  const helper: TestHelper;
  export = helper;
}
