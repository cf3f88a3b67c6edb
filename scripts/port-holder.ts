/**
 * Who listens on a local TCP port, for an error a person can act on ("port 1880 is held by pid 4242:
 * node-red"), not just "busy". Linux: from /proc (the socket's inode in /proc/net/tcp*, then the
 * process whose fd points at it); elsewhere from `lsof` when there is one.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface PortHolder {
  pid: number;
  /** Its command line, shortened. */
  command: string;
}

const maxCommandLength = 120;

function shortened(command: string): string {
  return command.length <= maxCommandLength ? command : `${command.slice(0, maxCommandLength - 1)}…`;
}

/** Inodes of the sockets listening on the port (state 0A is LISTEN). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (!local || fields[3] !== '0A') continue;
      if (parseInt(local.split(':')[1] ?? '', 16) === port) inodes.add(fields[9]!);
    }
  }
  return inodes;
}

function fromProc(port: number): PortHolder | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  const sockets = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      if (sockets.has(target)) {
        let command = '';
        try {
          command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
        } catch {
          // gone since
        }
        return { pid: Number(entry), command: shortened(command || '?') };
      }
    }
  }
  return undefined;
}

function fromLsof(port: number): PortHolder | undefined {
  const lsof = spawnSync('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc'], { encoding: 'utf8' });
  if (lsof.error || lsof.status !== 0) return undefined;
  const pid = /^p(\d+)$/m.exec(lsof.stdout)?.[1];
  const command = /^c(.+)$/m.exec(lsof.stdout)?.[1];
  return pid ? { pid: Number(pid), command: shortened(command ?? '?') } : undefined;
}

/** The process listening on the port, when this machine lets us see it. */
export function portHolder(port: number): PortHolder | undefined {
  return process.platform === 'linux' ? fromProc(port) : fromLsof(port);
}

/** "pid 4242 (java -jar DynamoDBLocal.jar …)", or words for a holder we cannot see. */
export function describeHolder(port: number): string {
  const holder = portHolder(port);
  return holder ? `pid ${holder.pid} (${holder.command})` : 'a process this user cannot see (another user, or a container)';
}
