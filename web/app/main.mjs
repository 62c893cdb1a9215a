/* main.mjs — the page's wiring: model → data → predict → results, step by step.
 *
 * State is three things: the loaded model (in the worker; here its info), the
 * chosen CSV with the result of checking its header, and whether a run is
 * going.  Predict is enabled only when a run can succeed as far as can be known
 * beforehand: a model is loaded and the CSV's header has every column it needs.
 */
import { byId, el } from './dom.mjs';
import * as fmt from './format.mjs';
import * as engine from './engine-client.mjs';
import { renderModelDetails, engineLabel } from './model-details.mjs';
import { dropZone, setFiles } from './drop-zone.mjs';
import { startProgress, updateProgress, hideProgress, elapsedMs } from './run-progress.mjs';
import { showResults, hideResults } from './results-view.mjs';
import { addRun, initHistory } from './history.mjs';
import { predictionsName } from './save-file.mjs';
import { example } from '../build/examples.mjs';
import { manifestFileNames } from '../../wasm/manifest-files.mjs';

const modelInput = byId('model-file');
const manifestInput = byId('manifest-file');
const csvInput = byId('csv-file');
const includeInput = byId('include-input');
const encodingSelect = byId('csv-encoding');
const decimalCommaBox = byId('csv-decimal-comma');
const onErrorSelect = byId('on-error');

/** The CSV dialect options the page's controls set (issue 9). */
function dialectOptions() {
  const o = {};
  if (encodingSelect.value) o.encoding = encodingSelect.value;
  if (decimalCommaBox.checked) o.decimalComma = true;
  if (onErrorSelect.value === 'skip') o.onError = 'skip';
  return o;
}
const DELIMITER_NAMES = { ',': 'commas', ';': 'semicolons', '\t': 'tabs', '|': 'pipes (|)' };
const predictButton = byId('predict');
const cancelButton = byId('cancel');
const exampleButton = byId('try-example');
const removeManifestButton = byId('remove-manifest');
const modelStatus = byId('model-status');
const detailsPanel = byId('model-details');
const detailsBody = byId('model-details-body');
const csvStatus = byId('csv-status');
const runStatus = byId('run-status');
const engineStatus = byId('engine-status');

let model = null;        // { info, fileName, manifestName, engine } of the loaded model
let modelLoading = null; // the promise of the load in progress
let csv = null;          // { file, header, ok } of the checked CSV
let running = false;

/* ---- messages ------------------------------------------------------------- */

function note(target, kind, ...content) {
  target.replaceChildren(el('div', { className: `note ${kind}`, attrs: kind === 'error' ? { role: 'alert' } : {} }, ...content));
}

function clear(target) {
  target.replaceChildren();
}

function updateButtons() {
  predictButton.disabled = running || !model || !csv || !csv.ok;
  cancelButton.hidden = !running;
  for (const input of [modelInput, manifestInput, csvInput, includeInput, exampleButton, removeManifestButton,
    encodingSelect, decimalCommaBox, onErrorSelect]) input.disabled = running;
  removeManifestButton.hidden = manifestInput.files.length === 0;
}

/* ---- step 1: the model ------------------------------------------------------ */

/**
 * What the chosen files are: one model (or .zip bundle) with the manifest input's
 * file (or a manifest among the model files) and the files it names, or an ensemble: its manifest (a .localpredict.json with "ensemble", in either
 * input) as the model and every other file as its members.
 */
async function chosenModel() {
  const files = [...modelInput.files];
  const manifest = manifestInput.files[0] || null;
  if (files.length <= 1 && !(manifest && files.length && await isEnsembleManifest(manifest))) {
    return { file: files[0], manifest, parts: [] };
  }
  const all = manifest ? [manifest, ...files] : files;
  for (const f of all) {
    if (isManifest(f) && await isEnsembleManifest(f)) return { file: f, manifest: null, parts: all.filter((g) => g !== f) };
  }
  // Several files and no ensemble: the model, its manifest (in either input), and the files
  // the manifest names (its vocabulary) as parts; the first other file is the model (the engine
  // says what is wrong).
  const man = manifest ?? files.find(isManifest) ?? null;
  const named = man && man.size <= 4 << 20 ? manifestFileNames(new Uint8Array(await man.arrayBuffer())) : [];
  const others = files.filter((f) => f !== man);
  const parts = others.filter((f) => named.includes(f.name));
  return { file: others.find((f) => !parts.includes(f)) ?? files[0], manifest: man, parts };
}

async function isEnsembleManifest(file) {
  if (file.size > 4 << 20) return false;
  try {
    const m = JSON.parse(await file.text());
    return m !== null && typeof m === 'object' && 'ensemble' in m;
  } catch {
    return false;
  }
}

let loadCount = 0; // which load is the latest: an earlier one finishing later is ignored

/** The File objects the model inputs hold now (compared with a load's to see a new choice). */
const modelChoice = () => [...modelInput.files, ...manifestInput.files];
const sameFiles = (a, b) => a.length === b.length && a.every((f, i) => f === b[i]);

async function loadChosenModel() {
  const token = ++loadCount;
  const choice = modelChoice();
  // The previous model is gone at once, before the new choice is read: Predict must not
  // run it, nor its note stand for the new files.
  model = null;
  detailsPanel.hidden = true;
  updateButtons();
  if (modelInput.files[0]) note(modelStatus, 'busy', `Reading ${modelInput.files[0].name}…`);
  const { file, manifest, parts } = await chosenModel();
  if (token !== loadCount) return; // another choice was made meanwhile
  if (!file) {
    clear(modelStatus);
    modelLoading = null;
    return;
  }
  note(modelStatus, 'busy', `Reading ${file.name}…`);
  const loading = engine.loadModel(file, manifest, parts);
  modelLoading = loading.catch(() => null);
  try {
    const { info, build } = await loading;
    if (token !== loadCount) return; // another file was chosen meanwhile
    model = { info, fileName: file.name, manifestName: manifest?.name ?? null, build, choice };
    renderModelDetails(detailsBody, model);
    // On a phone the details would push step 2 out of sight: shown folded, one tap away.
    byId('model-details-toggle').open = !window.matchMedia('(max-width: 600px)').matches;
    detailsPanel.hidden = false;
    const classes = info.classes ? `, ${fmt.plural(info.classes.length, 'class', 'classes')}` : '';
    note(modelStatus, 'ok', el('strong', {}, 'Model loaded: '), `${fmt.plural(info.features.count, 'input column')}${classes}.`);
  } catch (e) {
    if (token !== loadCount) return;
    note(modelStatus, 'error', el('strong', {}, 'This model cannot be used. '), e.message);
  }
  updateButtons();
  if (csvInput.files[0]) await checkChosenCsv();
}

/* ---- step 2: the CSV -------------------------------------------------------- */

function headerReport(header, info) {
  const names = info.features.names;
  if (!names) {
    return `${fmt.plural(header.length, 'column')}, taken by position as the model's ${fmt.plural(info.features.count, 'input')}.`;
  }
  const wanted = new Set(names);
  const unused = header.filter((h) => !wanted.has(h));
  return `All ${fmt.plural(names.length, 'column')} the model needs are present` +
    (unused.length ? `; ${fmt.plural(unused.length, 'other column')} (${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', …' : ''}) ${unused.length === 1 ? 'is' : 'are'} not used by the model.` : '.');
}

/** Spaces at either end made visible: "width " → "width␣". */
function showSpaces(name) {
  return name.replace(/^ +| +$/g, (m) => '\u2423'.repeat(m.length));
}

/**
 * The missing columns as a list: each name the model needs and the header lacks,
 * with the engine's near-miss suggestion from its message ('"a" (the input has "A")')
 * when it made one.  The engine's own message follows, as the CLI prints it.
 */
function missingReport(error, header, info) {
  const present = new Set(header);
  const missing = (info.features.names || []).filter((n) => !present.has(n));
  const items = missing.map((name) => {
    const near = error.message.split(`"${name}" (the input has "`)[1];
    const suggestion = near !== undefined ? near.slice(0, near.indexOf('")')) : null;
    return el('li', {}, el('span', { className: 'code' }, name),
      suggestion !== null && header.includes(suggestion)
        ? [' — the file has ', el('span', { className: 'code near' }, showSpaces(suggestion))]
        : ' — not in the file');
  });
  return [
    el('strong', {}, `${fmt.plural(missing.length, 'column')} the model needs ${missing.length === 1 ? 'is' : 'are'} missing.`),
    items.length ? el('ul', { className: 'missing' }, items) : null,
    el('p', { className: 'hint' }, 'Rename the columns in the CSV (or choose the CSV that goes with this model), then choose it again.'),
    el('p', { className: 'engine-message' }, error.message),
  ];
}

// A newer check (another file or option) makes an older one's answer stale.  Only this
// counter says so, not the input's File: choosing the same file again gives the input a
// new File without a change event (Chromium), and the check under way is still right.
let checkGeneration = 0;

async function checkChosenCsv() {
  const file = csvInput.files[0];
  const generation = ++checkGeneration;
  csv = null;
  updateButtons();
  if (!file) {
    clear(csvStatus);
    return;
  }
  if (modelLoading) await modelLoading;
  if (generation !== checkGeneration) return;
  if (!model) {
    note(csvStatus, 'info', `${file.name} (${fmt.bytes(file.size)}) is ready; its columns are checked once a model is loaded.`);
    return;
  }
  note(csvStatus, 'busy', `Checking the columns of ${file.name}…`);
  try {
    const { header, check } = await engine.checkCsv(file, dialectOptions());
    if (generation !== checkGeneration) return;
    csv = { file, header, ok: check.ok };
    if (check.ok) {
      note(csvStatus, 'ok', el('strong', {}, `${file.name} `), `(${fmt.bytes(file.size)}) fits the model. `,
        `Read as ${check.encoding}, fields separated by ${DELIMITER_NAMES[check.delimiter] || JSON.stringify(check.delimiter)}. `,
        headerReport(header, model.info));
    } else {
      if (check.error.code === 'MISSING_COLUMN') {
        note(csvStatus, 'error', ...missingReport(check.error, header, model.info));
      } else {
        note(csvStatus, 'error', el('strong', {}, 'This file cannot be predicted. '), check.error.message);
      }
    }
  } catch (e) {
    if (generation !== checkGeneration) return;
    note(csvStatus, 'error', el('strong', {}, 'The file could not be read. '), e.message);
  }
  updateButtons();
}

/* ---- step 3: predict -------------------------------------------------------- */

async function runPrediction() {
  if (!model || !csv?.ok || running) return;
  clear(runStatus); // the last run's outcome goes at once, even when the files are read again first
  // Chromium, when the same file is chosen again (edited since, say), gives the input a
  // new File and fires no change event: such a file is read again before predicting.
  if (!sameFiles(model.choice, modelChoice())) await loadChosenModel(); // checks the CSV too
  else if (csvInput.files[0] !== csv.file) await checkChosenCsv();
  if (!model || !csv?.ok || running) return; // the notes say why
  const { file } = csv;
  const runModel = model;
  const keepInput = includeInput.checked;
  running = true;
  updateButtons();
  hideResults();
  startProgress(file.size);
  cancelButton.focus();
  let lastRows = 0;
  let lastSkippedLines = [];
  try {
    const result = await engine.predict(file, { includeInput: keepInput, dialect: dialectOptions() }, (p) => {
      lastRows = p.rows;
      lastSkippedLines = p.skippedLines || [];
      updateProgress(p);
    });
    const ms = elapsedMs();
    const run = {
      fileName: file.name,
      outputName: predictionsName(file.name),
      modelName: runModel.fileName,
      modelSha256: runModel.info.sha256,
      rows: result.summary.rows,
      ms,
      date: Date.now(),
      includeInput: keepInput,
      blob: result.blob,
    };
    hideProgress();
    const skipped = result.summary.skipped || 0;
    // A file of 8 MiB or more runs on the worker pool, one worker per core (worker.mjs).
    const cores = result.workers > 1 ? ` on ${result.workers} cores` : '';
    note(runStatus, 'ok', el('strong', {}, 'Done. '), `${fmt.plural(run.rows, 'row')} predicted in ${fmt.duration(ms)}${cores}.`,
      skipped ? ` ${fmt.plural(skipped, 'row')} ${skipped === 1 ? 'was' : 'were'} skipped` +
        `${lastSkippedLines.length ? ` (line${lastSkippedLines.length > 1 ? 's' : ''} ${lastSkippedLines.join(', ')}${skipped > lastSkippedLines.length ? ', …' : ''})` : ''}: ` +
        'their probabilities are empty and the Error column of the CSV says why.' : '');
    showResults({ ...run, summary: result.summary });
    byId('results-heading').focus(); // Cancel, which had the focus, is gone
    addRun(run);
  } catch (e) {
    hideProgress();
    if (e.code === 'ABORTED') {
      note(runStatus, 'info', el('strong', {}, 'Cancelled. '), `Stopped after ${fmt.plural(lastRows, 'row')}; nothing was kept.`);
    } else {
      note(runStatus, 'error', el('strong', {}, 'The prediction failed. '), e.message);
    }
  } finally {
    running = false;
    updateButtons();
    if (document.activeElement === document.body || document.activeElement === cancelButton) predictButton.focus();
  }
}

/* ---- the example ------------------------------------------------------------ */

function exampleFile({ name, type, text }) {
  return new File([text], name, { type });
}

function tryExample() {
  setFiles(manifestInput, [exampleFile(example.manifest)]); // before the model: its change loads both
  setFiles(modelInput, [exampleFile(example.model)]);
  setFiles(csvInput, [exampleFile(example.csv)]);
}

/* ---- wiring ----------------------------------------------------------------- */

modelInput.addEventListener('change', loadChosenModel);
manifestInput.addEventListener('change', () => {
  updateButtons();
  if (modelInput.files[0]) loadChosenModel();
});
removeManifestButton.addEventListener('click', () => {
  setFiles(manifestInput, []);
  manifestInput.focus();
});
csvInput.addEventListener('change', checkChosenCsv);
for (const control of [encodingSelect, decimalCommaBox, onErrorSelect]) {
  control.addEventListener('change', () => { if (csvInput.files[0]) checkChosenCsv(); });
}
predictButton.addEventListener('click', runPrediction);
cancelButton.addEventListener('click', () => engine.cancel());
exampleButton.addEventListener('click', tryExample);

const isManifest = (f) => /\.localpredict\.json$/i.test(f.name);
dropZone(byId('model-drop'), (files) => (files.filter((f) => !isManifest(f)).length > 1
  // Several models: an ensemble, its manifest among them; all go to the model input.
  ? [[manifestInput, []], [modelInput, files]]
  : [[modelInput, files.filter((f) => !isManifest(f)).slice(0, 1)], [manifestInput, files.filter(isManifest).slice(0, 1)]]));
dropZone(byId('csv-drop'), (files) => [[csvInput, files.slice(0, 1)]]);

engine.engineReady.then((r) => {
  engineStatus.textContent = r.error
    ? `The engine could not start: ${r.error.message}`
    : `localpredict ${r.version} · ${engineLabel(r.build)} · ready`;
}, (e) => {
  engineStatus.textContent = `The engine could not start: ${e.message}`;
});

// A browser that restores form state after a reload would show files the page has not read.
for (const input of [modelInput, manifestInput, csvInput]) input.value = '';
updateButtons();
initHistory();
document.documentElement.classList.add('ready');
