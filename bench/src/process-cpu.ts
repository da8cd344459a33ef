// CPU time of processes, for "CPU microseconds per event" figures in the benchmarks.
import { readFile } from 'node:fs/promises';

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
