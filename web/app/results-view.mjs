/* results-view.mjs — the Results panel of the latest run: a summary line, the
 * Download CSV button, the two charts and the preview table with its
 * low-confidence filter.
 *
 * Everything shown comes from the run's summary (output-summary.mjs), read from
 * the very bytes that Download CSV saves.
 */
import { byId, el } from './dom.mjs';
import * as fmt from './format.mjs';
import { labelChart, confidenceChart, labelText } from './charts.mjs';
import { rowsBelow, PREVIEW_ROWS } from './output-summary.mjs';
import { saveBlob } from './save-file.mjs';

const panel = byId('results');
const summaryLine = byId('results-summary');
const labelFigure = byId('label-chart-body');
const confidenceFigure = byId('confidence-chart-body');
const chartsRow = byId('charts');
const labelCaption = byId('label-chart-caption');
const confidenceBox = byId('confidence-chart');
const filterBox = byId('low-only');
const limitInput = byId('low-limit');
const filterRow = byId('filter-controls');
const table = byId('preview');
const caption = byId('preview-caption');
const downloadButton = byId('download');
const downloadName = byId('download-name');

let current = null; // the run shown

function limit() {
  const v = Number(limitInput.value);
  return Number.isFinite(v) && v > 0 && v <= 1 ? Math.round(v * 100) / 100 : 0.7;
}

function probabilityCell(p, isSuggested) {
  const fill = el('span', { className: 'pbar-fill' });
  fill.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
  return el('td', { className: isSuggested ? 'num prob top' : 'num prob', title: String(p) },
    el('span', { className: 'pvalue' }, fmt.probability(p)),
    el('span', { className: 'pbar', attrs: { 'aria-hidden': 'true' } }, fill));
}

function renderTable() {
  const { summary } = current;
  const regression = !summary.hasLabel;
  const low = filterBox.checked && !regression;
  let rows = summary.preview;
  if (low) {
    const l = limit();
    const byRow = new Map();
    for (const r of [...summary.preview, ...summary.lowest]) if (r.confidence < l) byRow.set(r.row, r);
    rows = [...byRow.values()].sort((a, b) => a.row - b.row);
    const inFile = rowsBelow(summary.confidence, l);
    caption.textContent = inFile === 0
      ? `No row has a top-class probability below ${l}.`
      : `Rows whose top-class probability is below ${l}: ${fmt.count(inFile)} in the file` +
        (rows.length < inFile ? `, the ${fmt.count(rows.length)} least confident shown.` : ', all shown.');
  } else {
    caption.textContent = summary.rows <= PREVIEW_ROWS
      ? `All ${fmt.plural(summary.rows, 'row')}.`
      : `The first ${fmt.count(rows.length)} of ${fmt.plural(summary.rows, 'row')}; Download CSV has them all.`;
  }
  // Suggested Label right after the row number (the CSV has it last): the decision
  // first, then the probabilities behind it, and still in view on a phone.
  const head = el('tr', {}, el('th', { scope: 'col', className: 'num' }, 'Row'),
    regression ? null : el('th', { scope: 'col' }, 'Suggested Label'),
    summary.outputs.map((name) => el('th', { scope: 'col', className: 'num' }, name)));
  const body = rows.map((r) => {
    const suggested = new Set(regression ? [] : r.label.split(','));
    return el('tr', {},
      el('th', { scope: 'row', className: 'num rownum' }, fmt.count(r.row)),
      regression ? null : el('td', { className: 'suggested' },
        el('span', { className: r.label === '' ? 'badge empty' : 'badge' }, labelText(r.label))),
      r.values.map((v, k) => (regression
        ? el('td', { className: 'num' }, String(v))
        : probabilityCell(v, suggested.has(summary.outputs[k])))));
  });
  table.replaceChildren(caption, el('thead', {}, head), el('tbody', {}, body));
}

function renderCharts() {
  const { summary } = current;
  if (!summary.hasLabel) {
    const r = summary.regression;
    labelFigure.replaceChildren(el('p', {}, r.count
      ? `Predictions range from ${r.min} to ${r.max}; the mean is ${r.mean.toPrecision(6)}.`
      : 'No rows.'));
    confidenceFigure.replaceChildren();
    labelCaption.textContent = 'Predictions';
    confidenceBox.hidden = true;
    chartsRow.classList.add('regression');
    return;
  }
  labelCaption.textContent = 'Suggested Label';
  confidenceBox.hidden = false;
  chartsRow.classList.remove('regression');
  labelFigure.replaceChildren(summary.rows ? labelChart(summary) : el('p', { className: 'muted' }, 'No rows.'));
  confidenceFigure.replaceChildren(summary.rows ? confidenceChart(summary, limit()) : el('p', { className: 'muted' }, 'No rows.'));
}

/** Shows a finished run: { fileName, outputName, blob, summary, ms, modelName }. */
export function showResults(run) {
  current = run;
  const { summary } = run;
  const seconds = run.ms / 1000;
  summaryLine.replaceChildren(
    el('strong', {}, fmt.plural(summary.rows, 'row')), ' of ', el('span', { className: 'code' }, run.fileName),
    ` predicted in ${fmt.duration(run.ms)}`,
    summary.rows && seconds > 0 ? ` (${fmt.rate(summary.rows / seconds)})` : '',
    run.includeInput ? '; the CSV keeps the input columns in front.' : '.');
  downloadName.replaceChildren(el('span', { className: 'code' }, run.outputName), ` · ${fmt.bytes(run.blob.size)}`);
  filterRow.hidden = !summary.hasLabel;
  renderCharts();
  renderTable();
  panel.hidden = false;
}

export function hideResults() {
  current = null;
  panel.hidden = true;
}

downloadButton.addEventListener('click', () => {
  if (current) saveBlob(current.blob, current.outputName);
});

filterBox.addEventListener('change', () => current && renderTable());
limitInput.addEventListener('change', () => {
  if (!current) return;
  renderTable();
  renderCharts();
});
