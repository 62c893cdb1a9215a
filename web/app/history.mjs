/* history.mjs — the Inference results list: every run of this visit (file, model
 * and its SHA-256, rows, time, date), each downloadable again or deletable, and
 * the opt-in "Keep results in this browser" switch with its visible indicator.
 *
 * Runs live in memory for the visit.  With the switch on they are also written
 * to IndexedDB (store.mjs) and come back after a reload; turning it off deletes
 * what was kept.
 */
import { byId, el, srOnly } from './dom.mjs';
import * as fmt from './format.mjs';
import * as store from './store.mjs';
import { saveBlob } from './save-file.mjs';

const keepBox = byId('keep-results');
const indicator = byId('storage-indicator');
const headerBadge = byId('storage-badge');
const list = byId('history-list');
const emptyNote = byId('history-empty');
const deleteAllButton = byId('delete-all');
const problem = byId('storage-problem');

const runs = []; // newest last; { key, storedId, ...run }
let nextKey = 1;

function keeping() {
  return keepBox.checked;
}

async function renderIndicator() {
  let text;
  if (!keeping()) {
    text = 'Results are not kept: they are forgotten when this page is closed.';
    headerBadge.textContent = 'Nothing is kept after you close this page';
    headerBadge.classList.remove('on');
  } else {
    let used = 0;
    try {
      used = await store.usedBytes();
    } catch {
      /* shown as 0; the problem line says why */
    }
    const kept = runs.filter((r) => r.storedId !== null).length;
    text = `Kept in this browser's storage on this computer: ${fmt.plural(kept, 'run')}, ` +
      `${fmt.bytes(used)} of ${fmt.bytes(store.CAP_BYTES)}. Turn this off or use Delete all to remove them.`;
    headerBadge.textContent = `Results kept in this browser (${fmt.plural(kept, 'run')})`;
    headerBadge.classList.add('on');
  }
  indicator.textContent = text;
}

function runItem(run) {
  const download = el('button', { type: 'button', className: 'secondary small', disabled: !run.blob },
    'Download', srOnly(` predictions for ${run.fileName}, ${fmt.date(run.date)}`));
  download.addEventListener('click', () => run.blob && saveBlob(run.blob, run.outputName));
  const remove = el('button', { type: 'button', className: 'danger small' },
    'Delete', srOnly(` the result for ${run.fileName}, ${fmt.date(run.date)}`));
  remove.addEventListener('click', () => deleteRun(run.key));
  return el('li', { className: 'run', dataset: { key: String(run.key) } },
    el('div', { className: 'run-main' },
      el('p', { className: 'run-file' }, el('span', { className: 'code' }, run.fileName),
        run.storedId !== null ? el('span', { className: 'tag' }, 'kept') : null),
      el('p', { className: 'run-meta' },
        `${fmt.plural(run.rows, 'row')} · ${fmt.duration(run.ms)} · ${fmt.date(run.date)}`,
        run.includeInput ? ' · with input columns' : ''),
      el('p', { className: 'run-model' }, 'Model ', el('span', { className: 'code' }, run.modelName),
        ', SHA-256 ', el('span', { className: 'code hash' }, run.modelSha256)),
      run.blobDropped ? el('p', { className: 'muted' }, 'Its CSV was too large to keep; the description was kept.') : null),
    el('div', { className: 'run-actions' }, download, remove));
}

function renderList() {
  list.replaceChildren(...[...runs].reverse().map(runItem));
  emptyNote.hidden = runs.length > 0;
  deleteAllButton.disabled = runs.length === 0;
  renderIndicator();
}

function showProblem(e) {
  problem.textContent = `The browser's storage failed: ${e.message || e}`;
  problem.hidden = false;
}

async function keep(run) {
  try {
    const { id, blob, blobDropped } = await store.putRun(strip(run));
    run.storedId = id;
    run.blobDropped = blobDropped;
    if (!blob && !run.blob) run.blob = null;
  } catch (e) {
    showProblem(e);
  }
}

/** The stored form of a run (no page-only fields). */
function strip(run) {
  const { key, storedId, ...rest } = run;
  return rest;
}

/** Adds a finished run: { fileName, outputName, modelName, modelSha256, rows, ms, date, includeInput, blob }. */
export async function addRun(run) {
  const entry = { ...run, key: nextKey++, storedId: null, blobDropped: false };
  runs.push(entry);
  renderList();
  if (keeping()) {
    await keep(entry);
    renderList();
  }
}

// A kept result leaves the list only once the browser has committed its
// deletion: a reload right after "Delete" must not bring it back.
export async function deleteRun(key) {
  const run = runs.find((r) => r.key === key);
  if (!run) return;
  if (run.storedId !== null) {
    try {
      await store.deleteRun(run.storedId);
    } catch (e) {
      showProblem(e);
    }
  }
  const i = runs.indexOf(run);
  if (i >= 0) runs.splice(i, 1);
  renderList();
}

async function deleteAll() {
  try {
    if (store.storageAvailable()) await store.deleteAll();
  } catch (e) {
    showProblem(e);
  }
  runs.length = 0;
  renderList();
}

keepBox.addEventListener('change', async () => {
  problem.hidden = true;
  try {
    store.setKeepEnabled(keepBox.checked);
    if (keepBox.checked) {
      for (const run of runs) if (run.storedId === null) await keep(run);
    } else {
      await store.deleteAll();
      for (const run of runs) run.storedId = null;
    }
  } catch (e) {
    showProblem(e);
  }
  renderList();
});

deleteAllButton.addEventListener('click', deleteAll);

/** Restores the switch and, when it is on, the kept runs. */
export async function initHistory() {
  if (!store.storageAvailable()) {
    keepBox.disabled = true;
    problem.textContent = 'This browser offers no storage to this page, so results cannot be kept.';
    problem.hidden = false;
    renderList();
    return;
  }
  keepBox.checked = store.keepEnabled();
  if (keepBox.checked) {
    try {
      for (const r of await store.listRuns()) {
        runs.push({ ...r, key: nextKey++, storedId: r.id });
      }
    } catch (e) {
      showProblem(e);
    }
  }
  renderList();
}
