/*
 * `npm start` runs this file: package.json says `exec node scripts/start.cjs`, and the `exec` makes
 * this process npm's own child instead of a shell's, so a SIGINT or SIGTERM that npm forwards (what
 * IDEs and process managers send to npm alone) reaches it; a shell would wait instead. It builds the
 * pack, then runs dist/scripts/start.js in this same process. Plain JavaScript, because it runs
 * before anything is compiled. FLOWMEMORY_START_NO_BUILD=1 skips the build (the tests run npm start
 * on the dist/ they run from, which a build would replace under them).
 */
'use strict';
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const startBuilt = () => require(join(root, 'dist', 'scripts', 'start.js'));

if (process.env.FLOWMEMORY_START_NO_BUILD === '1') {
  startBuilt();
} else {
  const posix = process.platform !== 'win32';
  // The build in a process group of its own, so a signal stops all of it (npm, its shell, tsc).
  const build = process.env.npm_execpath
    ? spawn(process.execPath, [process.env.npm_execpath, 'run', 'build'], { cwd: root, stdio: 'inherit', detached: posix })
    : spawn('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', detached: posix, shell: !posix });
  let stoppedBy;
  const stop = (signal) => {
    stoppedBy = signal;
    try {
      if (posix) process.kill(-build.pid, signal);
      else build.kill(signal);
    } catch {
      // already gone
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  build.on('exit', (code) => {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    if (stoppedBy) {
      console.log(`[start] ${stoppedBy}: stopped during the build; nothing else had started.`);
      process.exit(130);
    }
    if (code !== 0) {
      console.error(`[start] the build failed (exit code ${code}); nothing was started.`);
      process.exit(code ?? 1);
    }
    startBuilt();
  });
}
