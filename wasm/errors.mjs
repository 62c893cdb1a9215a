/* errors.mjs — LocalPredictError, the one error type of the JS API.
 *
 * Engine failures arrive as an lp_error (src/localpredict.h) and are turned
 * into a LocalPredictError by engine.mjs: `.code` is the stable string of
 * lp_status_code() ("MISSING_COLUMN", "BAD_NUMBER", ...), `.message` the
 * one-line text of lp_error_format() and `.where` the locations that apply.
 * The shim adds three codes of its own, for failures that never reach the
 * engine: USAGE (misuse of the API, also an engine code), IO (a model,
 * manifest or engine file that could not be read), ABORTED (an AbortSignal
 * fired) and INTERNAL (the engine trapped: a bug; engine.mjs restarts it).  No other module throws anything but LocalPredictError for
 * conditions the caller can act on.
 */

/** Codes that the JS shim itself produces (the rest come from the engine). */
export const SHIM_CODES = Object.freeze(['USAGE', 'IO', 'ABORTED', 'INTERNAL']);

export class LocalPredictError extends Error {
  /**
   * @param {string} code    stable code, e.g. "BAD_NUMBER"
   * @param {string} message one line saying what is wrong (and how to fix misuse)
   * @param {object} [where] { line, column, columnIndex, field, node, tree } (only those that apply)
   * @param {object} [options] { cause }
   */
  constructor(code, message, where, options) {
    super(message, options);
    this.name = 'LocalPredictError';
    this.code = code;
    this.where = Object.freeze({ ...(where || {}) });
  }
}

/** A misuse of the API; the message should say how to fix it. */
export function usageError(message) {
  return new LocalPredictError('USAGE', message);
}

export function ioError(message, cause) {
  return new LocalPredictError('IO', message, undefined, cause ? { cause } : undefined);
}

/**
 * A Blob that cannot be read: mostly a File changed, moved or deleted on disk since it
 * was chosen (the browser read a snapshot; Chromium then says only "network error").
 * `what` names it when it has no name of its own.
 */
export function blobReadError(blob, cause, what = 'the Blob') {
  const name = typeof blob.name === 'string' && blob.name ? blob.name : what;
  return ioError(`${name}: cannot read it (${cause?.message || cause}): if it was changed, moved or deleted since it ` +
    'was chosen, choose it again', cause);
}

export function abortedError(signal) {
  const reason = signal && signal.reason;
  return new LocalPredictError('ABORTED', 'aborted', undefined,
    reason !== undefined ? { cause: reason } : undefined);
}
