/**
 * The Node-RED editor in a browser page, used the way a person uses it: drags from the palette,
 * drags wires between ports, double-clicks nodes, types into their edit trays, clicks Deploy.
 * Locates things by the editor's own element ids and classes (Node-RED 4's editor).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';

/** How long one editor action may take: the machine running the tests can be slow and shared. */
const actionTimeoutMs = 60_000;
const viewport = { width: 1400, height: 900 };

export class NodeRedEditor {
  private shots = 0;

  private constructor(
    readonly page: Page,
    private readonly screenshotDir: string,
  ) {}

  /** Opens the editor in a new browser context (a fresh profile) and waits for the palette. */
  static async open(browser: Browser, url: string, screenshotDir: string): Promise<NodeRedEditor> {
    mkdirSync(screenshotDir, { recursive: true });
    const context = await browser.newContext({ viewport });
    context.setDefaultTimeout(actionTimeoutMs);
    const page = await context.newPage();
    await page.goto(`${url}/`);
    await page.locator('#red-ui-palette-container .red-ui-palette-node').first().waitFor();
    return new NodeRedEditor(page, screenshotDir);
  }

  /** Saves the page as NN-name.png, numbered in the order taken. */
  async screenshot(name: string): Promise<void> {
    this.shots += 1;
    const file = join(this.screenshotDir, `${String(this.shots).padStart(2, '0')}-${name}.png`);
    // Hover tooltips would cover what the screenshot is for: move the pointer away and give them a
    // moment to close (they are cosmetic, so one that stays does not fail the test).
    await this.page.mouse.move(5, viewport.height - 10);
    const tooltips = this.page.locator('.red-ui-popover.red-ui-popover-size-small:visible');
    for (let tries = 0; tries < 30 && (await tooltips.count()) > 0; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await this.page.screenshot({ path: file });
  }

  /** Saves another page of the same browser (e.g. a page a flow serves) as the next numbered screenshot. */
  async screenshotOf(page: Page, name: string): Promise<void> {
    this.shots += 1;
    await page.screenshot({ path: join(this.screenshotDir, `${String(this.shots).padStart(2, '0')}-${name}.png`) });
  }

  /** What the editor holds for a node's settings (what a Done in its tray saved, before any deploy). */
  nodeSettings(id: string, names: string[]): Promise<Record<string, unknown>> {
    return this.page.evaluate(
      ({ id, names }) => {
        const node = (window as unknown as { RED: { nodes: { node(id: string): Record<string, unknown> } } }).RED.nodes.node(id);
        return Object.fromEntries(names.map((name) => [name, node[name]]));
      },
      { id, names },
    );
  }

  paletteNode(type: string): Locator {
    return this.page.locator(`#red-ui-palette-container .red-ui-palette-node[data-palette-type="${type}"]`);
  }

  /** A node in the workspace: its svg group, whose id is the node's id. */
  workspaceNode(id: string): Locator {
    return this.page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"]`);
  }

  links(): Locator {
    return this.page.locator('#red-ui-workspace-chart .red-ui-flow-link');
  }

  private async workspaceNodeIds(): Promise<string[]> {
    const groups = await this.page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group').all();
    return Promise.all(groups.map(async (group) => (await group.getAttribute('id')) ?? ''));
  }

  /** Presses at `from`, moves in small steps (d3 and jQuery UI only see a drag that moves), releases at `to`. */
  private async drag(from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
    const mouse = this.page.mouse;
    await mouse.move(from.x, from.y);
    await mouse.down();
    await mouse.move(from.x + 20, from.y + 5, { steps: 5 });
    await mouse.move(to.x, to.y, { steps: 20 });
    await mouse.up();
  }

  /** Drags a node type from the palette to (x, y) of the workspace; resolves with the new node's id. */
  async dropFromPalette(type: string, x: number, y: number): Promise<string> {
    const before = new Set(await this.workspaceNodeIds());
    const item = this.paletteNode(type);
    await item.scrollIntoViewIfNeeded();
    const chart = await box(this.page.locator('#red-ui-workspace-chart'));
    await this.drag(centre(await box(item)), { x: chart.x + x, y: chart.y + y });
    return poll(`a new ${type} node in the workspace`, async () => (await this.workspaceNodeIds()).find((id) => !before.has(id)));
  }

  /** Drags a wire from the first output port of one node to the input port of another. */
  async wire(fromId: string, toId: string): Promise<void> {
    const linksBefore = await this.links().count();
    const output = this.workspaceNode(fromId).locator('.red-ui-flow-port-output .red-ui-flow-port').first();
    const input = this.workspaceNode(toId).locator('.red-ui-flow-port-input .red-ui-flow-port');
    await this.drag(centre(await box(output)), centre(await box(input)));
    await poll(`a wire from ${fromId} to ${toId}`, async () => ((await this.links().count()) > linksBefore ? true : undefined));
  }

  /**
   * The edit tray on show. A config node's tray replaces the node's tray (Node-RED takes the node's
   * out of the page until the config node's closes), so there is one at a time.
   */
  tray(): Locator {
    return this.page.locator('.red-ui-tray');
  }

  /** Double-clicks a workspace node; resolves with its edit tray once it is open. */
  async openNode(id: string): Promise<Locator> {
    await this.workspaceNode(id).dblclick();
    return this.trayOpened('#node-dialog-ok');
  }

  /** Clicks the + beside a node's config field; resolves with the new config node's tray once it is open. */
  async addConfigNode(field: string): Promise<Locator> {
    await this.tray().locator(`#node-input-btn-${field}-add`).click();
    return this.trayOpened('#node-config-dialog-ok');
  }

  /** Waits until the tray with that button has slid in: it fills in its form while it moves. */
  private async trayOpened(button: string): Promise<Locator> {
    const tray = this.tray().filter({ has: this.page.locator(button) });
    await untilStill(tray, 'the edit tray to open');
    return tray;
  }

  /**
   * Clicks the tray's Done (node) or Add/Update (config node) button and waits until that tray is
   * gone (the button's id is unique to its kind of tray) and, after a config node's, until the
   * node's tray has slid back in.
   */
  async closeTray(buttonId: 'node-dialog-ok' | 'node-config-dialog-ok'): Promise<void> {
    const button = this.page.locator(`#${buttonId}`);
    await button.click();
    await button.waitFor({ state: 'detached' });
    if (buttonId === 'node-config-dialog-ok') await this.trayOpened('#node-dialog-ok');
  }

  /** Scrolls a textarea so that the first line holding `text` is near its top, as a reader would. */
  async scrollTextareaTo(textarea: Locator, text: string): Promise<void> {
    await textarea.evaluate((element, needle) => {
      const area = element as unknown as { value: string; scrollTop: number; scrollHeight: number };
      const lines = area.value.split('\n');
      const line = lines.findIndex((l) => l.includes(needle));
      area.scrollTop = (area.scrollHeight * Math.max(0, line - 3)) / lines.length;
    }, text);
  }

  /** Sets a TypedInput (the widget inside `container`) to a type from its menu and types the value. */
  async setTypedInput(container: Locator, type: string, value: string): Promise<void> {
    await container.locator('button.red-ui-typedInput-type-select').click();
    await this.page.locator(`.red-ui-typedInput-options:visible a[value="${type}"]`).click();
    await container.locator('input.red-ui-typedInput-input').fill(value);
  }

  /**
   * Clicks Deploy and waits until the editor has said "Successfully deployed" and is usable again.
   * confirmInvalid: the flow has nodes with errors, so the editor asks first; confirm it.
   */
  async deploy(options: { confirmInvalid?: boolean } = {}): Promise<void> {
    await this.page.locator('#red-ui-header-button-deploy').click();
    if (options.confirmInvalid) await this.page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy').click();
    const notice = this.page.locator('.red-ui-notification').filter({ hasText: 'Successfully deployed' });
    await notice.waitFor();
    // The editor is shaded while the deploy is in flight.
    await this.page.locator('#red-ui-editor-shade').waitFor({ state: 'hidden' });
    await this.page.locator('#red-ui-header-button-deploy .red-ui-deploy-button-spinner').waitFor({ state: 'hidden' });
    await untilStill(notice, 'the deploy notice to slide in');
  }

  /** Opens a sidebar tab by its button in the sidebar's tab bar (e.g. 'debug', 'help'). */
  async openSidebar(tab: string): Promise<void> {
    await this.page.locator(`#red-ui-tab-${tab}-link-button`).click();
  }
}

type Box = { x: number; y: number; width: number; height: number };

async function box(locator: Locator): Promise<Box> {
  await locator.waitFor();
  const found = await locator.boundingBox();
  if (!found) throw new Error(`${String(locator)} is not visible`);
  return found;
}

function centre(b: Box): { x: number; y: number } {
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

/** Waits until the element has been in the same place for two looks in a row (an animation ended). */
async function untilStill(locator: Locator, what: string): Promise<void> {
  let last = '';
  await poll(what, async () => {
    const now = JSON.stringify(await locator.boundingBox());
    const still = now === last && now !== 'null';
    last = now;
    if (!still) await new Promise((resolve) => setTimeout(resolve, 300));
    return still ? true : undefined;
  });
}

/** Polls until `check` gives a value; throws naming what it waited for. */
async function poll<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + actionTimeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited ${actionTimeoutMs / 1000} s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
