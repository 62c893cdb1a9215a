/* charts.mjs — the two charts of a run, drawn from its summary (output-summary.mjs):
 * how often each Suggested Label was given, and how confident the model was
 * (a histogram of each row's top-class probability).
 *
 * Plain HTML bars and inline SVG; widths and heights are set through the CSSOM
 * or SVG attributes, which the page's CSP allows.  Every chart carries its
 * numbers as text too, for screen readers and for people who prefer them.
 */
import { el, svg } from './dom.mjs';
import * as fmt from './format.mjs';
import { OTHER_LABEL, rowsBelow, CONFIDENCE_BINS } from './output-summary.mjs';

const MAX_BARS = 10;
const HIST_BINS = 20; // shown bins; the summary keeps 100

/** How a Suggested Label value reads on screen. */
export function labelText(label) {
  if (label === '') return '(none)';
  if (label === OTHER_LABEL) return '(other values)';
  return label;
}

/** Horizontal bars of the Suggested Label counts, most frequent first. */
export function labelChart(summary) {
  const total = summary.rows;
  let entries = summary.labels;
  if (entries.length > MAX_BARS) {
    const rest = entries.slice(MAX_BARS - 1).reduce((n, [, c]) => n + c, 0);
    entries = [...entries.slice(0, MAX_BARS - 1), [OTHER_LABEL, rest]];
  }
  const max = Math.max(1, ...entries.map(([, c]) => c));
  return el('ol', { className: 'bars' }, entries.map(([label, n]) => {
    const fill = el('span', { className: 'bar-fill' });
    fill.style.width = `${(100 * n) / max}%`;
    return el('li', {},
      el('span', { className: 'bar-label', title: labelText(label) }, labelText(label)),
      el('span', { className: 'bar-track', attrs: { 'aria-hidden': 'true' } }, fill),
      el('span', { className: 'bar-value' }, `${fmt.count(n)} `, el('span', { className: 'muted' }, `(${fmt.percent(n, total)})`)));
  }));
}

/**
 * A histogram of the top-class probability in HIST_BINS bins over [0, 1]; bins
 * below `limit` (the low-confidence filter) are drawn in the warning colour.
 */
export function confidenceChart(summary, limit) {
  const fine = summary.confidence; // CONFIDENCE_BINS bins of [0, 1), then p = 1
  const per = CONFIDENCE_BINS / HIST_BINS;
  const bins = [];
  for (let i = 0; i < HIST_BINS; i++) {
    let n = 0;
    for (let j = i * per; j < (i + 1) * per; j++) n += fine[j];
    bins.push(n);
  }
  bins[HIST_BINS - 1] += fine[CONFIDENCE_BINS]; // the last bar is [0.95, 1]
  const max = Math.max(1, ...bins);
  const W = 400;
  const H = 150;
  const left = 40;
  const bottom = 24;
  const top = 8;
  const plotW = W - left - 8;
  const plotH = H - bottom - top;
  const bw = plotW / HIST_BINS;
  const y = (n) => top + plotH - (plotH * n) / max;

  const below = rowsBelow(fine, limit);
  const total = summary.rows;
  const label = `Histogram of the top-class probability of ${fmt.plural(total, 'row')}: ` +
    `${fmt.percent(below, total)} below ${limit}, ${fmt.percent(total - rowsBelow(fine, 0.9), total)} at 0.9 or above.`;

  const parts = [];
  parts.push(svg('line', { x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, class: 'axis' }));
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    const x = left + plotW * t;
    parts.push(svg('line', { x1: x, y1: top + plotH, x2: x, y2: top + plotH + 4, class: 'axis' }));
    const text = svg('text', { x, y: H - 6, 'text-anchor': 'middle', class: 'tick' });
    text.textContent = String(t);
    parts.push(text);
  }
  for (const v of [0, max]) {
    const text = svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' });
    text.textContent = fmt.count(v);
    parts.push(text);
  }
  bins.forEach((n, i) => {
    if (!n) return;
    const lowBin = (i + 1) / HIST_BINS <= limit + 1e-12;
    const rect = svg('rect', {
      x: left + i * bw + 1, y: y(n), width: Math.max(1, bw - 2), height: top + plotH - y(n),
      class: lowBin ? 'hist-bar low' : 'hist-bar', rx: 2,
    });
    const title = svg('title');
    title.textContent = `${(i / HIST_BINS).toFixed(2)} to ${i === HIST_BINS - 1 ? '1' : `under ${((i + 1) / HIST_BINS).toFixed(2)}`}: ${fmt.plural(n, 'row')}`;
    rect.append(title);
    parts.push(rect);
  });
  const swatch = el('span', { className: 'swatch low', attrs: { 'aria-hidden': 'true' } });
  return el('div', {},
    svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'histogram', role: 'img', 'aria-label': label }, parts),
    el('p', { className: 'legend' }, swatch, `Below ${limit}: ${fmt.plural(below, 'row')} (${fmt.percent(below, total)})`));
}
