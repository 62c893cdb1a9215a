/* model-details.mjs — the Model details panel: what the engine says about the
 * loaded model (Model.info, see wasm/index.d.ts), in words.
 *
 * Metrics and other facts a manifest carries under "details" (when the engine
 * reports them in info.details) are listed as given, never recomputed.
 */
import { el } from './dom.mjs';
import * as fmt from './format.mjs';

const TASKS = {
  multiclass: 'Multi-class: one class per row',
  binary: 'Binary: one of two classes per row',
  multilabel: 'Multi-label: any number of labels per row',
  regression: 'Regression: one number per row',
};

/* What a dense graph's scores are (info.objective; README "The scores"). */
const SCORE_READINGS = {
  'graph log-probabilities': 'log-probabilities, shown as probabilities',
  'graph sigmoid': 'independent probabilities (a sigmoid)',
  'graph logits': 'logits, turned into probabilities',
  'graph decision values': 'decision values (no probabilities): 1 for the class they decide',
};

const BOOSTERS = {
  gbtree: 'gradient-boosted trees',
  dart: 'gradient-boosted trees (DART)',
};

function chips(values, className = 'chip') {
  return el('ul', { className: 'chips' }, values.map((v) => el('li', { className }, String(v))));
}

function modelText(info) {
  if (Array.isArray(info.members)) {
    return `Ensemble: the weighted average of ${fmt.plural(info.members.length, 'model')}' probabilities`;
  }
  if (typeof info.operators === 'number') {
    const reading = SCORE_READINGS[info.objective];
    const scores = info.scoresFrom ? `; scores from "${info.scoresFrom}"${reading ? `, ${reading}` : ''}` : '';
    return `Neural network / linear model (ONNX graph): ${fmt.plural(info.operators, 'operator')}${scores}`;
  }
  const kind = BOOSTERS[info.booster] || info.booster || 'trees';
  const used = info.bestIteration !== null && info.bestIteration !== undefined && info.trees !== info.treesInFile
    ? `${fmt.count(info.trees)} of ${fmt.count(info.treesInFile)} trees (early stopping at iteration ${info.bestIteration})`
    : fmt.plural(info.trees, 'tree');
  return `${kind[0].toUpperCase()}${kind.slice(1)}: ${used}, ${fmt.plural(info.nodes, 'node')}, depth up to ${info.maxDepth}`;
}

function inputsValue(info) {
  const { features } = info;
  if (!features.names) {
    return el('p', {}, `${fmt.plural(features.count, 'column')} without names, taken from the CSV by position`);
  }
  const categorical = new Set(features.categorical || []);
  return el('div', {},
    el('p', { className: 'muted' }, `${fmt.plural(features.count, 'column')}, matched by name`),
    el('ul', { className: 'chips' }, features.names.map((name, i) => el('li', { className: 'chip code' }, name,
      categorical.has(i) ? el('span', { className: 'chip-note' }, ' categorical') : null))));
}

/** Where a bound dimension's size came from (info.dims[i].source). */
const DIM_SOURCES = {
  dims: 'the manifest\'s "dims"',
  'preprocess.max_length': 'the manifest\'s preprocess.max_length',
};

/**
 * The ONNX graph's symbolic input dimensions bound at load (info.dims; the CLIs' `info`
 * prints them on its "dims" line): one line each, e.g. `tokens` dimension 1 ("sequence")
 * = 16, from the manifest's preprocess.max_length.
 */
function dimsValue(dims) {
  return el('div', {}, dims.map((d) => el('p', {},
    d.input !== null
      ? [el('span', { className: 'code' }, d.input), ` dimension ${d.axis}${d.name !== null ? ` ("${d.name}")` : ''}`]
      : el('span', { className: 'code' }, `"${d.name ?? ''}"`),
    ` = ${d.size}, from ${DIM_SOURCES[d.source] || d.source}`)));
}

/** An ensemble's members: name, file, format, weight, what each is, and its own details. */
function membersValue(members) {
  const head = el('tr', {}, ['Member', 'File', 'Format', 'Weight', 'Model', 'Details'].map((h) => el('th', { scope: 'col' }, h)));
  const rows = members.map((m) => el('tr', {},
    el('th', { scope: 'row' }, m.name),
    el('td', {}, el('span', { className: 'code' }, m.model)),
    el('td', {}, `${m.info.format}${m.info.producer ? ` (${m.info.producer})` : ''}`),
    el('td', {}, String(m.weight)),
    el('td', {}, modelText(m.info)),
    el('td', {}, m.info.details ? detailsValue(m.info.details) : '')));
  return el('table', { className: 'facts members' }, el('thead', {}, head), el('tbody', {}, rows));
}

/** A manifest's "details" value: an object of facts, possibly with nested metrics. */
function detailsValue(details) {
  if (details === null || typeof details !== 'object') return el('p', {}, String(details));
  const rows = [];
  for (const [key, value] of Object.entries(details)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) rows.push([`${key}: ${k}`, v]);
    } else {
      rows.push([key, Array.isArray(value) ? value.join(', ') : value]);
    }
  }
  return el('table', { className: 'facts' },
    el('tbody', {}, rows.map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k),
      el('td', {}, typeof v === 'number' ? String(v) : String(v))))));
}

/** "WebAssembly with relaxed SIMD" for the engine's build ("relaxed", "simd" or "scalar"). */
export function engineLabel(build) {
  return `WebAssembly${build === 'relaxed' ? ' with relaxed SIMD' : build === 'simd' ? ' with SIMD' : ''}`;
}

/** Renders `info` into the panel (a <dl> inside `container`). */
export function renderModelDetails(container, { info, fileName, manifestName, build }) {
  const items = [
    ['Model file', el('span', {}, el('span', { className: 'code' }, fileName), ` (${fmt.bytes(info.bytes)})`)],
    manifestName ? ['Manifest', el('span', { className: 'code' }, manifestName)] : null,
    ['Format', `${info.format}${info.producer ? `, written by ${info.producer}` : ''}`],
    ['Task', TASKS[info.task] || info.task],
    ['Model', modelText(info)],
    ['Objective', el('span', { className: 'code' }, info.objective)],
    ['Input columns', inputsValue(info)],
    Array.isArray(info.dims) && info.dims.length ? ['Symbolic dimensions', dimsValue(info.dims)] : null,
    info.classes ? [info.task === 'multilabel' ? 'Labels' : 'Classes',
      el('div', {}, el('p', { className: 'muted' }, `${info.classes.length} in output order`), chips(info.classes))] : null,
    info.task === 'binary' || info.task === 'multilabel'
      ? ['Decision threshold', info.task === 'binary'
        ? `${info.thresholds[info.thresholds.length - 1]} (the positive class is suggested above it)`
        : info.thresholds.join(', ')]
      : null,
    info.missing && info.missing.length ? ['Also missing', `cells equal to ${info.missing.join(', ')}`] : null,
    info.details !== undefined ? ['Details', detailsValue(info.details)] : null,
    Array.isArray(info.members) ? ['Members', membersValue(info.members)] : null,
    ['SHA-256', el('span', { className: 'code hash' }, info.sha256)],
    ['Engine', `${info.engine}, ${engineLabel(build)}`],
  ].filter(Boolean);
  const dl = el('dl', { className: 'details' });
  for (const [term, value] of items) dl.append(el('div', {}, el('dt', {}, term), el('dd', {}, value)));
  container.replaceChildren(dl);
}
