// Finding every process of a local terminal through /proc: its session and process groups, every descendant of the
// shell, and every process whose environment still carries the session's marker variable (a `setsid` child whose
// parent exited is reparented to PID 1 and belongs to no group or tree of the shell any more).
import { readdirSync, readFileSync } from 'node:fs';

/** The variable a local shell's environment carries; its value is unique per session. */
export const SESSION_MARKER_ENV = 'TERMINAL_SESSION_MARKER';

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may contain spaces and parentheses; the fields after the last ')' are fixed.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    state: fields[0] ?? '',
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    session: Number(fields[3]),
  };
}

function liveProcesses(): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat && stat.state !== 'Z') out.push(stat);
  }
  return out;
}

function carriesMarker(pid: number, entry: Buffer): boolean {
  try {
    const env = readFileSync(`/proc/${pid}/environ`);
    return env.subarray(0, entry.length - 1).equals(entry.subarray(1)) || env.includes(entry);
  } catch {
    return false;
  }
}

/**
 * Live (non-zombie) processes of the terminal whose shell is `leader`: same session or group, descendants, and
 * (with `marker`) every process whose environment has `TERMINAL_SESSION_MARKER=<marker>`. Empty without /proc.
 */
export function processesOf(leader: number, marker?: string): number[] {
  const all = liveProcesses();
  const found = new Set<number>();
  for (const p of all) if (p.pid === leader || p.session === leader || p.pgrp === leader) found.add(p.pid);
  // Descendants: repeat until no new child of a found process turns up (bounded by the process count).
  for (let changed = true, rounds = 0; changed && rounds < all.length; rounds++) {
    changed = false;
    for (const p of all)
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid);
        changed = true;
      }
  }
  if (marker) {
    const entry = Buffer.from(`\0${SESSION_MARKER_ENV}=${marker}\0`);
    for (const p of all)
      if (!found.has(p.pid) && p.pid !== process.pid && carriesMarker(p.pid, entry)) found.add(p.pid);
  }
  found.delete(process.pid);
  return [...found].filter((pid) => pid !== leader || all.some((p) => p.pid === leader));
}

/** Sends a signal to the process group and to every other process of the terminal. */
export function signalSession(leader: number, signal: NodeJS.Signals, marker?: string): void {
  try {
    process.kill(-leader, signal);
  } catch {
    // group already gone
  }
  for (const pid of processesOf(leader, marker)) {
    try {
      process.kill(pid, signal);
    } catch {
      // exited meanwhile
    }
  }
}

export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  if (stat) return stat.state !== 'Z';
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
