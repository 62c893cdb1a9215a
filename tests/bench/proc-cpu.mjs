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
