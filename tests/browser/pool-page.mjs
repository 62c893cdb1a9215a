/* pool-page.mjs — the module of pool-page.html: the package's browser entry (its
 * workers run /wasm/build/localpredict-worker.mjs) plus the pool's tuning knobs and counters (tests
 * make slices tiny so that small inputs use workers, and check that workers really
 * started).  The engines are handed over with setEngine({ wasm }), never fetched by
 * the shim. */
import * as localpredict from '/wasm/browser.mjs';
import { poolTuning } from '/wasm/parallel-csv.mjs';
import { poolStats, poolTrace } from '/wasm/pool.mjs';

window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'}`);
});

window.localpredict = { ...localpredict, poolTuning, poolStats, poolTrace };
document.getElementById('status').textContent = 'ready';
