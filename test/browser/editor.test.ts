/**
 * The Node-RED editor in real Chromium, against a real Node-RED that loads this pack and the test
 * run's DynamoDB Local: a person's first session, from the palette to an exported flow. Each step
 * saves a screenshot under test-output/screenshots/ (docs/browser-tests.md lists them and what they show).
 * The steps build on each other; after a failed one the rest are skipped.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { FlowNode } from '../../scripts/node-red-process';
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

  it('opens on a fresh Node-RED: answers the update-notification question and closes the welcome tour', async () => {
    const page = editor.page;
    const decline = page.getByRole('button', { name: 'No, do not enable notifications' });
    await decline.waitFor();
    await editor.screenshot('first-open-update-notifications');
    await decline.click();
    const tour = page.locator('.red-ui-tourGuide-popover');
    await tour.waitFor();
    await editor.screenshot('welcome-tour');
    await tour.locator('button:has(i.fa-times)').click();
    await page.locator('.red-ui-tourGuide-shade').waitFor({ state: 'detached' });
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
});
