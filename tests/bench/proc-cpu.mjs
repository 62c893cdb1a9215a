/* proc-cpu.mjs — CPU time of the processes this one started (headless Chromium in
 * browser_e2e.mjs and web_page_cores.mjs), from Linux's /proc.  Bench only. */
import fs from 'node:fs';

/** CPU seconds (user + system) used so far by this process's descendants (Chromium's
 * browser, renderer and utility processes; a Web Worker is a thread of its renderer),
 * from /proc; null where there is no /proc.  A run's share is the difference around it:
 * on a machine shared with other jobs the wall time of two workers says little, their
 * CPU time says whether the pool added work. */
const TICKS = 100; // USER_HZ on Linux
export function descendantsCpu() {
  let entries;
  try {
    entries = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const procs = new Map();
  for (const pid of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(+pid, { ppid: +f[1], cpu: (+f[11] + +f[12]) / TICKS });
    } catch { /* gone */ }
  }
  let sum = 0;
  for (const [pid, p] of procs) {
    let up = p.ppid;
    while (up > 1 && up !== process.pid) up = procs.get(up)?.ppid ?? 0;
    if (up === process.pid && pid !== process.pid) sum += p.cpu;
  }
  return sum;
}

/** The pids of this process's descendants whose command line has `arg` (e.g.
 * '--type=renderer': Chromium's renderer processes); [] where there is no /proc. */
export function descendantPids(arg) {
  let entries;
  try {
    entries = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const ppid = new Map();
  for (const pid of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      ppid.set(+pid, +stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch { /* gone */ }
  }
  const out = [];
  for (const pid of ppid.keys()) {
    let up = ppid.get(pid);
    while (up > 1 && up !== process.pid) up = ppid.get(up) ?? 0;
    if (up !== process.pid) continue;
    try {
      // Split at spaces too: the processes a zygote forks rewrite their argv as one string.
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/).includes(arg)) out.push(pid);
    } catch { /* gone */ }
  }
  return out;
}

/** CPU seconds used so far by the threads of the processes `pids`, to the nanosecond
 * (the first field of /proc/PID/task/TID/schedstat, as getrusage() counts: the 10 ms
 * ticks of /proc/PID/stat are too coarse for slices of 75 ms); null where there is no
 * schedstat.  A thread that has exited is no longer counted: take differences over
 * spans in which the process keeps its threads (a renderer keeps its pool). */
export function processesCpu(pids) {
  let ns = 0;
  try {
    for (const pid of pids)
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
        try {
          ns += +fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0];
        } catch { /* gone */ }
      }
  } catch {
    return null;
  }
  return ns / 1e9;
}
