/**
 * The Node-RED editor in real Chromium, against a real Node-RED that loads this pack and the test
 * run's DynamoDB Local: a person's first session, from the palette to an exported flow. Each step
 * saves a screenshot under test-output/screenshots/ (docs/browser-tests.md lists them and what they show).
 * The steps build on each other; after a failed one the rest are skipped.
 */
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { adminApi, type FlowNode } from '../../scripts/node-red-process';
import { decodeEntities } from '../support/html-text';
import { startLinkedNodeRed, repoRoot, type LinkedNodeRed } from '../support/linked-node-red';
import { uniqueName } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';
import { launchChromium } from './chromium';
import { NodeRedEditor } from './editor-page';

const screenshotDir = join(repoRoot, 'test-output', 'screenshots');
const configType = 'dynamodb-memory-config';
/** Every node type the pack declares, in package.json's order. */
const packTypes = Object.keys(
  (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes,
);

/** A node's message catalog (locales/en-US/<type>.json), under its type. */
function catalog(type: string): Record<string, any> {
  return (JSON.parse(readFileSync(join(repoRoot, 'locales', 'en-US', `${type}.json`), 'utf8')) as Record<string, any>)[type];
}

/** The first paragraph of a node's help (locales/en-US/<type>.html) as the editor shows it: plain text. */
function helpOpening(type: string): string {
  const html = readFileSync(join(repoRoot, 'locales', 'en-US', `${type}.html`), 'utf8');
  const paragraph = /<p>([\s\S]*?)<\/p>/.exec(html)?.[1];
  assert.ok(paragraph, `${type}.html has no <p>`);
  return normalise(decodeEntities(paragraph.replace(/<[^>]+>/g, '')));
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function fillCount(template: string, count: number): string {
  return template.replace('__count__', String(count));
}

/** A second local port that forwards every HTTP request to the given one: the same server, another origin. */
async function portForwarder(target: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((incoming, outgoing) => {
    const forwarded = request(
      { host: '127.0.0.1', port: target, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: `127.0.0.1:${target}` } },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

describe('the editor in Chromium', function () {
  this.timeout(180_000);

  let linked: LinkedNodeRed | undefined;
  let browser: Browser | undefined;
  let editor: NodeRedEditor;
  let stepFailed = false;
  const ids: Record<'inject' | 'store' | 'history' | 'debug', string> = { inject: '', store: '', history: '', debug: '' };
  const table = uniqueName('browser');
  const accessKeyId = 'browserkey';
  const secret = `secret${uniqueName('key').replace(/-/g, '')}`;
  const text = 'My favourite colour is teal';

  before(async function () {
    rmSync(screenshotDir, { recursive: true, force: true });
    linked = await startLinkedNodeRed('flowmemory-browser-');
    browser = await launchChromium();
    editor = await NodeRedEditor.open(browser, linked.nodeRed.url, screenshotDir);
  });

  after(async function () {
    await browser?.close();
    await linked?.stop();
  });

  beforeEach(function () {
    if (stepFailed) this.skip();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') stepFailed = true;
  });

  it("opens on a fresh Node-RED with the start script's settings: no update-notification question, no welcome tour", async () => {
    const page = editor.page;
    // The editor has loaded its flows (the workspace tab is there) and is ready for a person.
    await page.locator('#red-ui-workspace-tabs .red-ui-tab').first().waitFor();
    await page.locator('#red-ui-header-button-deploy').waitFor();
    assert.equal(await page.getByRole('button', { name: 'No, do not enable notifications' }).count(), 0);
    assert.equal(await page.locator('.red-ui-tourGuide-popover').count(), 0);
    await editor.screenshot('first-open-no-dialogs');
  });

  it('shows the "chat memory" palette category with every node of the pack, under its label', async () => {
    const header = editor.page.locator('#red-ui-palette-header-chat_memory');
    await header.scrollIntoViewIfNeeded();
    assert.equal(await header.innerText(), 'chat memory');
    assert.equal(await header.locator('i.expanded').count(), 1, 'the category is open');
    const shown = editor.page.locator('#red-ui-palette-container-chat_memory .red-ui-palette-node');
    const palette = await Promise.all(
      (await shown.all()).map(async (node) => [await node.getAttribute('data-palette-type'), await node.getAttribute('data-palette-label')]),
    );
    // The connection is a config node: it has no palette entry.
    const expected = packTypes.filter((type) => type !== configType).map((type) => [type, catalog(type)['paletteLabel']]);
    assert.deepEqual(palette, expected);
    // An icon per node, each its own.
    // A Font Awesome icon by its class, an image by its file; Node-RED shows arrow-in.svg for an icon it
    // does not know (a Font Awesome name outside its list, a file that is missing).
    type Element = { querySelector(selector: string): { classList: Iterable<string>; getAttribute(name: string): string | null } | null };
    const icons = await editor.page.$$eval('#red-ui-palette-container-chat_memory .red-ui-palette-node', (nodes) =>
      nodes.map((node) => {
        const fa = (node as unknown as Element).querySelector('i.red-ui-palette-icon-fa');
        if (fa) return [...fa.classList].find((c) => /^fa-(?!fw$|lg$)/.test(c)) ?? '';
        return (node as unknown as Element).querySelector('.red-ui-palette-icon-container')?.getAttribute('data-palette-icon') ?? '';
      }),
    );
    assert.equal(new Set(icons).size, expected.length, `one icon per node: ${JSON.stringify(icons)}`);
    assert.ok(icons.every((icon) => icon !== '' && !icon.endsWith('/arrow-in.svg')), `every icon found: ${JSON.stringify(icons)}`);
    await editor.page.locator('#red-ui-palette-container-chat_memory').scrollIntoViewIfNeeded();
    await editor.screenshot('palette-chat-memory');
  });

  it('builds inject → store message → load history → debug by dragging nodes and wires', async () => {
    ids.inject = await editor.dropFromPalette('inject', 170, 140);
    ids.store = await editor.dropFromPalette('dynamodb-memory-store', 370, 140);
    ids.history = await editor.dropFromPalette('dynamodb-memory-history', 570, 140);
    ids.debug = await editor.dropFromPalette('debug', 770, 140);
    await editor.screenshot('nodes-dropped');
    await editor.wire(ids.inject, ids.store);
    await editor.wire(ids.store, ids.history);
    await editor.wire(ids.history, ids.debug);
    assert.equal(await editor.links().count(), 3);
    await editor.screenshot('nodes-wired');
  });

  it('sets the inject to send a text as msg.payload and a session id as msg.sessionId', async () => {
    const tray = await editor.openNode(ids.inject);
    await tray.locator('#node-input-name').fill('teal message');
    const rows = tray.locator('#node-input-property-container > li');
    await editor.setTypedInput(rows.nth(0).locator('.red-ui-typedInput-container').nth(1), 'str', text);
    await tray.locator('.red-ui-editableList-addButton').filter({ hasText: 'add' }).click();
    const added = rows.nth(2);
    await added.locator('.red-ui-typedInput-container').nth(0).locator('input.red-ui-typedInput-input').fill('sessionId');
    await added.locator('.red-ui-typedInput-container').nth(1).locator('input.red-ui-typedInput-input').fill('browser-session');
    await editor.screenshot('inject-payload-and-session');
    await editor.closeTray('node-dialog-ok');
  });

  it('adds a DynamoDB connection with access keys from the store node, the secret typed into a password field', async () => {
    const tray = await editor.openNode(ids.store);
    const config = await editor.addConfigNode('memory');
    await config.locator('#node-config-input-region').fill('us-east-1');
    await config.locator('#node-config-input-endpoint').fill(dynamoDBLocal().endpoint);
    await config.locator('#node-config-input-table').fill(table);
    await config.locator('#node-config-input-createTable').check();
    await config.locator('#node-config-input-authType').selectOption({ label: catalog(configType)['authType']['keys'] });
    await config.locator('#node-config-input-accessKeyId').fill(accessKeyId);
    const secretField = config.locator('#node-config-input-secretAccessKey');
    assert.equal(await secretField.getAttribute('type'), 'password');
    await secretField.pressSequentially(secret);
    await editor.screenshot('connection-access-keys');
    // The dialog's buttons use the values as typed, before anything is deployed.
    const result = config.locator('.dynamodb-memory-config-result');
    await config.locator('.dynamodb-memory-config-test').click();
    await result.getByText(`table "${table}" is missing`).waitFor();
    await result.scrollIntoViewIfNeeded();
    await editor.screenshot('connection-test-table-missing');
    await config.locator('.dynamodb-memory-config-create').click();
    await result.getByText(`created table "${table}": ready for this pack`).waitFor({ timeout: 60_000 });
    assert.equal(await result.locator('li .fa-check').count(), 4, 'status, keys, index and TTL all green');
    await result.scrollIntoViewIfNeeded();
    await editor.screenshot('connection-create-table');
    await editor.closeTray('node-config-dialog-ok');
    const memory = tray.locator('#node-input-memory option:checked');
    assert.match(await memory.innerText(), new RegExp(`^${table} @ `));
    await editor.screenshot('store-node-with-connection');
    await editor.closeTray('node-dialog-ok');
  });

  it('points the load history node at the same connection', async () => {
    const tray = await editor.openNode(ids.history);
    const options = await tray.locator('#node-input-memory option').allInnerTexts();
    const connection = options.find((label) => label.startsWith(`${table} @ `));
    assert.ok(connection, `no connection for ${table} among ${JSON.stringify(options)}`);
    await tray.locator('#node-input-memory').selectOption({ label: connection });
    await editor.screenshot('history-node-with-connection');
    await editor.closeTray('node-dialog-ok');
  });

  it('makes the debug node show msg.history', async () => {
    const tray = await editor.openNode(ids.debug);
    const output = tray.locator('.form-row', { has: editor.page.locator('#node-input-typed-complete') });
    await output.locator('input.red-ui-typedInput-input').fill('history');
    await editor.screenshot('debug-node-msg-history');
    await editor.closeTray('node-dialog-ok');
  });

  it('deploys', async () => {
    await editor.deploy();
    await editor.screenshot('deployed');
  });

  it('clicking the inject stores the text, and the debug sidebar shows it in the loaded history', async () => {
    await editor.workspaceNode(ids.inject).locator('.red-ui-flow-node-button').click();
    await editor.openSidebar('debug');
    const message = editor.page.locator('.red-ui-debug-msg').first();
    try {
      await message.waitFor();
    } catch (error) {
      throw new Error(`no debug message: ${String(error)}\nNode-RED said:\n${linked!.nodeRed.output()}`);
    }
    assert.match(await message.locator('.red-ui-debug-msg-topic').innerText(), /^msg\.history : array\[1\]$/);
    // Open the array, then its one message.
    await message.locator('.red-ui-debug-msg-expandable').first().click();
    await message.locator('.red-ui-debug-msg-array-rows .red-ui-debug-msg-expandable').first().click();
    await message.getByText(`"${text}"`).waitFor();
    const shown = normalise(await message.innerText());
    assert.match(shown, /role: "user"/);
    assert.match(shown, new RegExp(`content: "${text}"`));
    // The nodes' status texts, from their catalogs, under the nodes.
    await editor.workspaceNode(ids.store).filter({ hasText: fillCount(catalog('dynamodb-memory-store')['status']['stored'], 1) }).waitFor();
    await editor.workspaceNode(ids.history).filter({ hasText: fillCount(catalog('dynamodb-memory-history')['status']['loaded'], 1) }).waitFor();
    await editor.screenshot('debug-sidebar-loaded-history');
  });

  for (const type of packTypes) {
    it(`shows the help of ${type} in the help sidebar`, async () => {
      const label: string = catalog(type)['paletteLabel'];
      await editor.openSidebar('help');
      await editor.page.locator('.red-ui-sidebar-help-toc').getByText(label, { exact: true }).click();
      const stack = editor.page.locator('.red-ui-sidebar-help-stack');
      await stack.locator('h1.red-ui-help-title').filter({ hasText: label }).waitFor();
      assert.ok(normalise(await stack.locator('.red-ui-help').first().innerText()).includes(helpOpening(type)));
      await editor.screenshot(`help-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`);
    });
  }

  it('exports the flow as JSON with the connection but without its keys', async () => {
    const page = editor.page;
    await page.locator('#red-ui-header-button-sidemenu').click();
    await page.locator('#menu-item-export').click();
    await page.locator('#red-ui-clipboard-dialog-export-rng-flow').click();
    await page.locator('#red-ui-tab-red-ui-clipboard-dialog-export-tab-clipboard-json a').click();
    const json = page.locator('#red-ui-clipboard-dialog-export-text');
    await json.waitFor();
    const exported = await json.inputValue();
    await editor.scrollTextareaTo(json, `"type": "${configType}"`);
    await editor.screenshot('export-json-connection-without-keys');
    const flow = JSON.parse(exported) as FlowNode[];
    const config = flow.find((node) => node.type === configType);
    assert.ok(config, 'the connection is exported with the nodes that use it');
    assert.deepEqual(
      [config['endpoint'], config['table'], config['authType'], config['createTable'], 'credentials' in config],
      [dynamoDBLocal().endpoint, table, 'keys', true, false],
    );
    // The flow's own nodes (on its tab): the config nodes, the tab and Node-RED's global-config have no z.
    assert.deepEqual(flow.filter((node) => node.z).map((node) => node.type).sort(), [
      'debug',
      'dynamodb-memory-history',
      'dynamodb-memory-store',
      'inject',
    ]);
    assert.ok(!exported.includes(secret), 'the secret key is not in the export');
    assert.ok(!exported.includes(accessKeyId), 'the access key id is not in the export');
    // Nor in plain text in the user directory: the flow file has none, the credentials file is encrypted.
    for (const file of ['flows.json', 'flows_cred.json']) {
      assert.ok(!readFileSync(join(linked!.userDir, file), 'utf8').includes(secret), `the secret is not in ${file}`);
    }
  });

  // ---- the dialogs' own checks and rows, on nodes dropped now without a connection ----------------

  const more: Record<'context' | 'graph' | 'preference' | 'clear' | 'recall' | 'working' | 'extract', string> = { context: '', graph: '', preference: '', clear: '', recall: '', working: '', extract: '' };

  it('context: the five shares add up to more than 100 %: each share field turns red and a tip says the sum', async () => {
    // The export dialog of the step before is still open.
    const cancel = editor.page.locator('#red-ui-clipboard-dialog-cancel');
    if (await cancel.isVisible()) {
      await cancel.click();
      await cancel.waitFor({ state: 'hidden' });
    }
    more.context = await editor.dropFromPalette('dynamodb-memory-context', 170, 300);
    const tray = await editor.openNode(more.context);
    const tip = tray.locator('.dynamodb-memory-context-shares-tip');
    assert.equal(await tip.isVisible(), false, 'no tip while the defaults add up to 100');
    const history = tray.locator('#node-input-shareHistory');
    assert.deepEqual([await history.inputValue(), await history.getAttribute('placeholder')], ['', catalog('dynamodb-memory-context')['placeholder']['shareHistory']]);
    await history.fill('70');
    await tip.filter({ hasText: catalog('dynamodb-memory-context')['sharesOver'].replace('__sum__', '120') }).waitFor();
    for (const field of ['shareSystem', 'sharePreferences', 'shareFacts', 'shareSummary', 'shareHistory']) {
      assert.match((await tray.locator(`#node-input-${field}`).getAttribute('class')) ?? '', /input-error/, field);
    }
    await editor.screenshot('context-shares-over-100');
    await history.fill('50');
    await tip.waitFor({ state: 'hidden' });
    assert.doesNotMatch((await history.getAttribute('class')) ?? '', /input-error/);
    // Left blank, the history is the rest: the defaults fit a prompt with both {{memories}} and
    // {{working}}, which a history of 40 does not.
    await history.fill('');
    const codeEditor = tray.locator('#node-input-template-editor');
    await codeEditor.locator('.monaco-editor, .ace_editor').first().waitFor();
    await codeEditor.click();
    await editor.page.keyboard.type('{{memories}} {{working}}');
    await history.fill('40');
    await tip.filter({ hasText: catalog('dynamodb-memory-context')['sharesOver'].replace('__sum__', '110') }).waitFor();
    await history.fill('');
    await tip.waitFor({ state: 'hidden' });
    assert.doesNotMatch((await history.getAttribute('class')) ?? '', /input-error/);
    await codeEditor.click();
    await editor.page.keyboard.press('Control+A');
    await editor.page.keyboard.press('Backspace');
  });

  it("context: the system prompt is edited in Node-RED's code editor, and the model and the Ollama format are there", async () => {
    const tray = editor.tray();
    const codeEditor = tray.locator('#node-input-template-editor');
    await codeEditor.locator('.monaco-editor, .ace_editor').first().waitFor();
    await codeEditor.click();
    await editor.page.keyboard.type('You help jazz fans. {{preferences}}');
    await tray.locator('#node-input-model').fill('llama3.2');
    await tray.locator('#node-input-format').selectOption('ollama');
    await editor.screenshot('context-template-code-editor');
    await editor.closeTray('node-dialog-ok');
    assert.deepEqual(await editor.nodeSettings(more.context, ['template', 'model', 'format']), {
      template: 'You help jazz fans. {{preferences}}',
      model: 'llama3.2',
      format: 'ollama',
    });
  });

  it('graph link: the unlink row only for unlink, and the graph name as a TypedInput', async () => {
    more.graph = await editor.dropFromPalette('dynamodb-memory-graph', 370, 300);
    const tray = await editor.openNode(more.graph);
    const unlinkRow = tray.locator('.graph-unlink');
    assert.equal(await unlinkRow.isVisible(), false, 'no unlink mode for entity');
    await tray.locator('#node-input-operation').selectOption('unlink');
    await unlinkRow.waitFor();
    await tray.locator('#node-input-scope').selectOption('graph');
    const graphRow = tray.locator('.node-graph-scope-graph');
    await editor.setTypedInput(graphRow.locator('.red-ui-typedInput-container'), 'msg', 'graphName');
    await editor.screenshot('graph-unlink-row-and-graph-name-typedinput');
    await tray.locator('#node-input-operation').selectOption('neighbours');
    await unlinkRow.waitFor({ state: 'hidden' });
    await editor.closeTray('node-dialog-ok');
    assert.deepEqual(await editor.nodeSettings(more.graph, ['graph', 'graphType']), { graph: 'graphName', graphType: 'msg' });
  });

  it('preference: only the rows the operation reads (key, value, limit)', async () => {
    more.preference = await editor.dropFromPalette('dynamodb-memory-preference', 570, 300);
    const tray = await editor.openNode(more.preference);
    const shown = async () => ({
      key: await tray.locator('.preference-key').isVisible(),
      value: await tray.locator('.preference-value').isVisible(),
      limit: await tray.locator('.preference-limit').isVisible(),
    });
    assert.deepEqual(await shown(), { key: true, value: false, limit: false }, 'get');
    await tray.locator('#node-input-operation').selectOption('set');
    assert.deepEqual(await shown(), { key: true, value: true, limit: false }, 'set');
    await editor.screenshot('preference-rows-for-set');
    await tray.locator('#node-input-operation').selectOption('merge');
    assert.deepEqual(await shown(), { key: false, value: true, limit: false }, 'merge');
    await tray.locator('#node-input-operation').selectOption('history');
    assert.deepEqual(await shown(), { key: true, value: false, limit: true }, 'history');
    await editor.closeTray('node-dialog-ok');
  });

  it('clear: forget user is marked destructive in the dialog', async () => {
    more.clear = await editor.dropFromPalette('dynamodb-memory-clear', 770, 300);
    const tray = await editor.openNode(more.clear);
    const warning = tray.locator('.dynamodb-memory-clear-forget-warning');
    assert.equal(await warning.isVisible(), false, 'no warning for one session');
    await tray.locator('#node-input-scope').selectOption('user');
    await warning.filter({ hasText: catalog('dynamodb-memory-clear')['forgetWarning'] }).waitFor();
    await editor.screenshot('clear-forget-user-warning');
    await editor.closeTray('node-dialog-ok');
  });

  it('memories: only the rows the operation and the scope read, and a named scope needs its namespace', async () => {
    more.recall = await editor.dropFromPalette('dynamodb-memory-recall', 370, 400);
    const tray = await editor.openNode(more.recall);
    const shown = async () => ({
      user: await tray.locator('.memory-recall-user').isVisible(),
      session: await tray.locator('.memory-recall-session').isVisible(),
      namespace: await tray.locator('.memory-recall-named').isVisible(),
      recall: await tray.locator('#node-input-topK').isVisible(),
      weights: await tray.locator('#node-input-similarityWeight').isVisible(),
      tidy:
        (await tray.locator('#node-input-mergeAbove').isVisible()) &&
        (await tray.locator('#node-input-contradictionAbove').isVisible()) &&
        (await tray.locator('#node-input-onContradiction').isVisible()),
    });
    assert.deepEqual(await shown(), { user: true, session: false, namespace: false, recall: true, weights: true, tidy: false }, 'recall, user');
    await tray.locator('#node-input-scope').selectOption('session');
    assert.deepEqual(await shown(), { user: true, session: true, namespace: false, recall: true, weights: true, tidy: false }, 'recall, session');
    await editor.screenshot('memories-rows-for-recall-in-a-session');
    await tray.locator('#node-input-operation').selectOption('remember');
    assert.deepEqual(await shown(), { user: true, session: true, namespace: false, recall: false, weights: false, tidy: true }, 'remember, session');
    await tray.locator('#node-input-scope').selectOption('named');
    assert.deepEqual(await shown(), { user: false, session: false, namespace: true, recall: false, weights: false, tidy: true }, 'remember, named');
    // A threshold above 1 is refused; blank (off) is not.
    const merge = tray.locator('#node-input-mergeAbove');
    assert.equal(await merge.inputValue(), '0.9');
    assert.equal(await tray.locator('#node-input-contradictionAbove').inputValue(), '0.6');
    assert.equal(await tray.locator('#node-input-onContradiction').inputValue(), 'flag');
    await tray.locator('#node-input-onContradiction').selectOption('supersede');
    await merge.fill('1.5');
    await merge.press('Tab');
    assert.match((await merge.getAttribute('class')) ?? '', /input-error/, 'merge above 1.5');
    await merge.fill('');
    await merge.press('Tab');
    assert.doesNotMatch((await merge.getAttribute('class')) ?? '', /input-error/);
    await editor.screenshot('memories-rows-for-remember-merge-and-flag');
    const namespace = tray.locator('#node-input-namespace');
    assert.match((await namespace.getAttribute('class')) ?? '', /input-error/, 'a named scope without a namespace');
    await namespace.fill('venue-facts');
    await namespace.press('Tab');
    assert.doesNotMatch((await namespace.getAttribute('class')) ?? '', /input-error/);
    await editor.closeTray('node-dialog-ok');
    assert.deepEqual(await editor.nodeSettings(more.recall, ['operation', 'scope', 'namespace', 'topK', 'mergeAbove', 'contradictionAbove', 'onContradiction']), {
      operation: 'remember',
      scope: 'named',
      namespace: 'venue-facts',
      topK: '5',
      mergeAbove: '',
      contradictionAbove: '0.6',
      onContradiction: 'supersede',
    });
  });

  it('working memory: the session rows or the namespace by scope, and the capacity, policy and TTL kept', async () => {
    more.working = await editor.dropFromPalette('dynamodb-memory-working', 370, 460);
    const tray = await editor.openNode(more.working);
    const shown = async () => ({
      session: await tray.locator('.memory-working-session').first().isVisible(),
      namespace: await tray.locator('.memory-working-named').isVisible(),
    });
    assert.deepEqual(await shown(), { session: true, namespace: false }, 'session scope by default');
    await tray.locator('#node-input-scope').selectOption('named');
    assert.deepEqual(await shown(), { session: false, namespace: true }, 'named scope');
    const namespace = tray.locator('#node-input-namespace');
    assert.match((await namespace.getAttribute('class')) ?? '', /input-error/, 'a named scope without a namespace');
    await namespace.fill('trip-planner');
    const capacity = tray.locator('#node-input-capacity');
    await capacity.fill('0');
    await capacity.press('Tab');
    assert.match((await capacity.getAttribute('class')) ?? '', /input-error/, 'a capacity of 0');
    await capacity.fill('5');
    await capacity.press('Tab');
    assert.doesNotMatch((await capacity.getAttribute('class')) ?? '', /input-error/);
    await tray.locator('#node-input-policy').selectOption('lru');
    await tray.locator('#node-input-ttlSeconds').fill('600');
    await editor.screenshot('working-memory-named-scope');
    await editor.closeTray('node-dialog-ok');
    assert.deepEqual(await editor.nodeSettings(more.working, ['scope', 'namespace', 'capacity', 'policy', 'ttlSeconds']), {
      scope: 'named',
      namespace: 'trip-planner',
      capacity: '5',
      policy: 'lru',
      ttlSeconds: '600',
    });
  });

  it('extract memories: three outputs with their labels, every and similar checked, the settings kept', async () => {
    more.extract = await editor.dropFromPalette('dynamodb-memory-extract', 570, 460);
    // Three ports, each labelled with what it sends (hover text comes from the catalog).
    assert.equal(await editor.workspaceNode(more.extract).locator('.red-ui-flow-port-output').count(), 3);
    const tray = await editor.openNode(more.extract);
    const every = tray.locator('#node-input-every');
    assert.equal(await every.inputValue(), '10');
    await every.fill('51');
    await every.press('Tab');
    assert.match((await every.getAttribute('class')) ?? '', /input-error/, 'every 51: one extraction covers at most 50 messages');
    await every.fill('4');
    await every.press('Tab');
    assert.doesNotMatch((await every.getAttribute('class')) ?? '', /input-error/);
    const similar = tray.locator('#node-input-similar');
    await similar.fill('x');
    await similar.press('Tab');
    assert.match((await similar.getAttribute('class')) ?? '', /input-error/, 'similar not a number');
    await similar.fill('0');
    await similar.press('Tab');
    assert.doesNotMatch((await similar.getAttribute('class')) ?? '', /input-error/, 'similar 0: no memories shown');
    await tray.locator('#node-input-scope').selectOption('session');
    await tray.locator('#node-input-embeddings').selectOption('flow');
    assert.equal(await tray.locator('#node-input-format').inputValue(), 'openai');
    await tray.locator('#node-input-format').selectOption('anthropic');
    await tray.locator('#node-input-model').fill('claude-sonnet-4-5');
    await editor.screenshot('extract-memories-dialog');
    await editor.closeTray('node-dialog-ok');
    assert.deepEqual(await editor.nodeSettings(more.extract, ['scope', 'every', 'similar', 'format', 'model', 'embeddings']), {
      scope: 'session',
      every: '4',
      similar: '0',
      format: 'anthropic',
      model: 'claude-sonnet-4-5',
      embeddings: 'flow',
    });
  });

  it('a node without a connection says so in its status as soon as it is deployed', async () => {
    await editor.deploy({ confirmInvalid: true });
    const missing = 'no DynamoDB memory connection is set: open the node and choose one';
    for (const id of Object.values(more)) {
      // Status texts are shortened to 60 characters.
      await editor.workspaceNode(id).filter({ hasText: missing.slice(0, 40) }).waitFor();
    }
    await editor.screenshot('missing-connection-status-at-deploy');
  });

  // ---- the concert chatbot's page, as a person uses it ------------------------------------------

  it('concert chat page: typing a message shows the reply, and the bot remembers the person after a reload', async () => {
    // The example as its own tab, beside the flow built above (POST /flow adds one flow).
    const example = JSON.parse(readFileSync(join(repoRoot, 'examples', 'concert-chatbot.json'), 'utf8')) as FlowNode[];
    const tab = example.find((node) => node.type === 'tab')!;
    const configs = example.filter((node) => node.type === configType).map((node) => ({
      ...node, endpoint: dynamoDBLocal().endpoint, table: uniqueName('concert'), authType: 'keys', credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }));
    const nodes = example.filter((node) => node.type !== 'tab' && node.type !== configType);
    await adminApi(linked!.nodeRed.url, '/flow', { method: 'POST', body: { id: tab.id, label: tab['label'], nodes, configs } });
    const chat = await editor.page.context().newPage();
    try {
      const url = `${linked!.nodeRed.url}/concert-chat`;
      for (let tries = 0; (await chat.goto(url))?.status() !== 200; tries++) {
        if (tries > 50) throw new Error('the chat page never answered 200');
        await chat.waitForTimeout(200);
      }
      const say = async (text: string, reply: RegExp) => {
        await chat.locator('#text').fill(text);
        await chat.locator('#text').press('Enter');
        await chat.locator('.msg.bot').filter({ hasText: reply }).waitFor();
      };
      await say('Hi!', /^Hello! I'm the concert bot/);
      await say('My name is Ana', /^Nice to meet you, Ana!$/);
      await say('I like jazz', /^Noted: you like jazz\./);
      await editor.screenshotOf(chat, 'concert-chat-first-session');
      await chat.reload();
      assert.equal(await chat.locator('.msg.bot').count(), 0, 'a new session starts empty');
      await say('hello', /^Welcome back, Ana! Since you like jazz, how about the Blue Note\?$/);
      await editor.screenshotOf(chat, 'concert-chat-after-reload-remembered');
      // The same page on another port (as npm start gives when 1880 is busy): the same person.
      const otherPort = await portForwarder(linked!.nodeRed.port);
      try {
        await chat.goto(`http://127.0.0.1:${otherPort.port}/concert-chat`);
        await say('hi again', /^Welcome back, Ana! Since you like jazz, how about the Blue Note\?$/);
        await editor.screenshotOf(chat, 'concert-chat-other-port-remembered');
      } finally {
        await otherPort.close();
      }
    } finally {
      await chat.close();
    }
  });
});
