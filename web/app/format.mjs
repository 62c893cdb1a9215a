/* format.mjs — how numbers, sizes, durations and dates read on the page. */

const integer = new Intl.NumberFormat('en-US');

export function count(n) {
  return integer.format(n);
}

/** "1 row", "2,400 rows". */
export function plural(n, one, many = `${one}s`) {
  return `${count(n)} ${n === 1 ? one : many}`;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** A duration in milliseconds: "40 ms", "2.4 s", "12 s", "3 min 05 s", "1 h 02 min". */
export function duration(ms) {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.max(1, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** A rate such as "84,000 rows/s". */
export function rate(perSecond) {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '—';
  const rounded = perSecond >= 1000 ? Math.round(perSecond / 100) * 100 : Math.round(perSecond);
  return `${count(rounded)} rows/s`;
}

/** A probability as a short decimal for the screen ("0.993"); the CSV keeps every digit. */
export function probability(p) {
  if (!Number.isFinite(p)) return '—';
  if (p === 0 || p === 1) return String(p);
  if (p < 0.001) return p.toExponential(1);
  return p.toFixed(3);
}

export function percent(part, whole) {
  if (!whole) return '0%';
  const v = (100 * part) / whole;
  return `${v >= 10 || v === 0 ? Math.round(v) : v.toFixed(1)}%`;
}

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

export function date(ms) {
  return dateFormat.format(new Date(ms));
}

/** The first characters of a hex digest, for display next to the full one in a title. */
export function shortHash(hex) {
  return hex ? `${hex.slice(0, 12)}…` : '';
}
