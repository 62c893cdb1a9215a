/* run-progress.mjs — the progress bar of a run: rows done, rows per second and
 * the time left, estimated from the bytes read so far (the one measure known
 * in advance is the file's size). */
import { byId } from './dom.mjs';
import * as fmt from './format.mjs';

const area = byId('progress-area');
const bar = byId('progress');
const text = byId('progress-text');

let started = 0;

export function startProgress(fileSize) {
  started = performance.now();
  bar.max = Math.max(1, fileSize);
  bar.value = 0;
  text.textContent = 'Starting…';
  area.hidden = false;
}

export function updateProgress({ bytesRead, bytesTotal, rows }) {
  const elapsed = (performance.now() - started) / 1000;
  const total = bytesTotal ?? bar.max;
  bar.max = Math.max(1, total);
  bar.value = Math.min(bytesRead, total);
  const done = total ? bytesRead / total : 0;
  const left = done > 0 && elapsed > 0.3 ? (elapsed / done) * (1 - done) * 1000 : NaN;
  text.textContent = `${fmt.plural(rows, 'row')} done · ${fmt.rate(rows / elapsed)} · ` +
    `${Number.isFinite(left) ? `about ${fmt.duration(left)} left` : 'estimating time left'} · ${fmt.percent(bytesRead, total)} of ${fmt.bytes(total)}`;
}

/** Elapsed milliseconds since startProgress(). */
export function elapsedMs() {
  return performance.now() - started;
}

export function hideProgress() {
  area.hidden = true;
}
