/* worker-source.mjs — where the page's worker script comes from.
 *
 * Served page: the module web/worker.mjs beside this folder (worker-src 'self').
 * The single-file page (scripts/page-bundle.mjs) replaces this module with one
 * that starts the bundled worker from a blob: URL (worker-src blob:), so the
 * saved file needs nothing but itself.
 */
export function createWorker() {
  return new Worker(new URL('../worker.mjs', import.meta.url), { type: 'module', name: 'localpredict' });
}
