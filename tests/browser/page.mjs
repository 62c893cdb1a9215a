/* page.mjs — the module of page.html: the package's browser entry, exposed to the tests.
 * /wasm/browser.mjs fetches the engine from /wasm/build/ beside itself (import.meta.url). */
import * as localpredict from '/wasm/browser.mjs';

window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'}`);
});

window.localpredict = localpredict;
document.getElementById('status').textContent = 'ready';
