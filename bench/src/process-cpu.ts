// CPU time of processes, for "CPU microseconds per event" figures in the benchmarks.
import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux everywhere we run). */
const TICKS_PER_SECOND = 100;

/**
 * User + system CPU time of process `pid` in µs (from /proc/<pid>/stat, 10 ms resolution), or
 * undefined when it cannot be read (not Linux, or the process exited).
 */
export async function processCpuUs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  if (!Number.isFinite(user) || !Number.isFinite(system)) return undefined;
  return ((user + system) * 1_000_000) / TICKS_PER_SECOND;
}

/** This process's user + system CPU time in µs. */
export function ownCpuUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/**
 * CPU time in µs of every process on this machine whose command name is `command` (as in
 * /proc/<pid>/comm: `postgres`, `nats-server`), with the CPU of their reaped children (a Postgres
 * backend that exits is counted in its postmaster), or undefined when none runs here (a remote
 * server, or not Linux).
 */
export async function commandCpuUs(command: string): Promise<number | undefined> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  let total: number | undefined;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (name !== command) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    if (Number.isFinite(ticks)) total = (total ?? 0) + (ticks * 1_000_000) / TICKS_PER_SECOND;
  }
  return total;
}

/** The whole machine's busy CPU time in µs (every process, other tenants included; /proc/stat). */
export async function machineBusyUs(): Promise<number | undefined> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
    return ((ticks.reduce((a, b) => a + b, 0) - idle) * 1_000_000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU µs read at one instant: this process (named `self`, its worker threads included), each of
 * `processes`, the servers where they run on this machine (what the services wait on shares the same
 * cores) and the whole machine. Subtract two snapshots for the CPU spent between them.
 */
export async function cpuSnapshot(
  processes: ReadonlyMap<string, { readonly pid?: number | undefined }>,
  self: string,
): Promise<Map<string, number | undefined>> {
  const snapshot = new Map<string, number | undefined>([[self, ownCpuUs()]]);
  for (const [name, child] of processes) snapshot.set(name, await processCpuUs(child.pid));
  snapshot.set('postgres (its processes here)', await commandCpuUs('postgres'));
  snapshot.set('nats-server (here)', await commandCpuUs('nats-server'));
  snapshot.set('whole machine', await machineBusyUs());
  return snapshot;
}
