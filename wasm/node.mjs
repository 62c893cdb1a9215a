/* node.mjs — the package entry for Node ("exports" condition "node"):
 * the shared API, with engine files and URLs read by load-node.mjs. */
import { registerEnvironment } from './engine.mjs';
import { loadEngine, readResource, startWorker, cores, inflateRaw, enableRelaxedSimd } from './load-node.mjs';

registerEnvironment({ loadEngine, readResource, startWorker, cores, inflateRaw, enableRelaxedSimd });

export * from './localpredict.mjs';
