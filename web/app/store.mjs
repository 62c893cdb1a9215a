/* store.mjs — keeping inference results in this browser's own storage (IndexedDB),
 * only when the user has asked for it.
 *
 * A shared clinic computer must not keep predictions silently, so nothing is
 * written until the user turns "Keep results" on; the choice itself is kept in
 * localStorage (one flag, no data).  Stored: each run's description and its
 * output CSV (a Blob) while the total stays under CAP_BYTES; a run that would go
 * over is kept without its CSV.  Nothing here is ever sent anywhere.
 */

const DB_NAME = 'localpredict';
const DB_VERSION = 1;
const RUNS = 'runs';
const FLAG = 'localpredict.keepResults';

/** Total size of the output CSVs kept. */
export const CAP_BYTES = 50 * 1024 * 1024;

let dbPromise = null;

function promisify(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function open() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => req.result.createObjectStore(RUNS, { keyPath: 'id', autoIncrement: true });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('the result storage is in use by another tab of this page'));
    });
    dbPromise.catch(() => { dbPromise = null; });
  }
  return dbPromise;
}

async function transact(mode, fn) {
  const db = await open();
  const tx = db.transaction(RUNS, mode);
  const result = await fn(tx.objectStore(RUNS));
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('the storage transaction was aborted'));
  });
  return result;
}

/** Whether this browser offers IndexedDB and localStorage here (a file:// page may not). */
export function storageAvailable() {
  try {
    return typeof indexedDB !== 'undefined' && typeof localStorage !== 'undefined' && localStorage !== null;
  } catch {
    return false; // localStorage access throws where storage is blocked
  }
}

export function keepEnabled() {
  try {
    return localStorage.getItem(FLAG) === 'on';
  } catch {
    return false;
  }
}

export function setKeepEnabled(on) {
  if (on) localStorage.setItem(FLAG, 'on');
  else localStorage.removeItem(FLAG);
}

/** Every kept run, oldest first. */
export function listRuns() {
  return transact('readonly', (store) => promisify(store.getAll()));
}

/** Bytes of output CSV kept. */
export async function usedBytes() {
  const runs = await listRuns();
  return runs.reduce((n, r) => n + (r.blob ? r.blob.size : 0), 0);
}

/**
 * Keeps a run ({ fileName, outputName, modelName, modelSha256, rows, ms, date,
 * includeInput, blob }); its blob only if it fits under CAP_BYTES.  Resolves the
 * record as kept, with its id.
 */
export async function putRun(run) {
  const used = await usedBytes();
  const fits = run.blob && used + run.blob.size <= CAP_BYTES;
  const record = { ...run, blob: fits ? run.blob : null, blobDropped: !fits };
  delete record.id;
  const id = await transact('readwrite', (store) => promisify(store.add(record)));
  return { ...record, id };
}

export function deleteRun(id) {
  return transact('readwrite', (store) => promisify(store.delete(id)));
}

export function deleteAll() {
  return transact('readwrite', (store) => promisify(store.clear()));
}
