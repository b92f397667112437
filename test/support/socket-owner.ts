import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * The pid among `pids` holding the client end of a 127.0.0.1 connection (from /proc: socket inode →
 * fd). Asynchronous: reading /proc on a busy machine takes tens of ms, which must not block the receiver.
 */
export async function socketOwner(clientPort: number, serverPort: number, pids: number[]): Promise<number | null> {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  let inode = '';
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      if (cols[1].endsWith(`:${hex(clientPort)}`) && cols[2].endsWith(`:${hex(serverPort)}`)) inode = cols[9];
    }
    if (inode) break;
  }
  if (!inode || inode === '0') return null;
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (link === `socket:[${inode}]`) return pid;
    }
  }
  return null;
}
