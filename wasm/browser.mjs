/* browser.mjs — the package entry for browsers, bundlers and other runtimes
 * ("exports" conditions "browser" and "default"): the shared API, with engine
 * files and URLs fetched by load-browser.mjs. */
import { registerEnvironment } from './engine.mjs';
import { loadEngine, readResource, startWorker } from './load-browser.mjs';

registerEnvironment({ loadEngine, readResource, startWorker });

export * from './localpredict.mjs';
