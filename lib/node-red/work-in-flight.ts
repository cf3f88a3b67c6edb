/**
 * The msgs' work a connection has running, so that closing it (a redeploy, a stop) waits for that
 * work instead of pulling the client from under it.
 */
export class WorkInFlight {
  private readonly running = new Set<Promise<void>>();

  track(work: Promise<unknown>): void {
    const ended = work.then(() => undefined, () => undefined);
    this.running.add(ended);
    void ended.then(() => this.running.delete(ended));
  }

  /** Resolves once every tracked work has ended, or after `ms`: with how many still run then. */
  async settle(ms: number): Promise<number> {
    if (this.running.size === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([Promise.all(this.running), timeout]);
    clearTimeout(timer);
    return this.running.size;
  }
}
