/**
 * examples/user-sessions.json as shipped, in a real Node-RED child process
 * (test/support/example-replay.ts): its buttons clicked top to bottom, and what its debug nodes show.
 */
import assert from 'node:assert/strict';
import { readExample, replayedExample } from '../support/example-replay';

type Msg = Record<string, unknown>;

describe("example: a user's sessions", function () {
  this.timeout(120_000);
  const replay = replayedExample('user-sessions.json');

  it("lists ana's sessions newest first, then forgets her", async () => {
    assert.ok(readExample('user-sessions.json').some((n) => n.type === 'comment'));
    const click = async (inject: string, debug: string) => JSON.parse(await replay().click(inject, debug)) as unknown;
    await click('ana chats on monday', 'stored');
    await click('ana chats on friday', 'stored');
    const listed = (await click("list ana's sessions", 'sessions')) as Msg[];
    assert.deepEqual(listed.map((s) => s['sessionId']), ['ana-friday', 'ana-monday']);
    const forgotten = (await click('forget ana', 'forgotten')) as Msg;
    assert.deepEqual(forgotten['deleted'], { message: 2, session: 2, user: 1 });
    assert.deepEqual(await click("list ana's sessions", 'sessions'), []);
  });
});
