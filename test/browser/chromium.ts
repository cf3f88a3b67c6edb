/**
 * The system's Chromium (Debian's `chromium` package, which .ci/run installs) driven by
 * playwright-core: no browser download. CHROMIUM_PATH points at another Chromium or Chrome.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `No Chromium at ${chromiumPath}. The browser tests need one: on Debian/Ubuntu ` +
        '`sudo apt-get install -y chromium` (.ci/run does it), or set CHROMIUM_PATH to a Chromium or Chrome.',
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      // Root (as in CI) cannot use Chromium's sandbox.
      '--no-sandbox',
      '--disable-gpu',
      // Chromium otherwise calls Google's services at start; on a closed network those calls only fail.
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
