/* csv-header.mjs — the header line of a CSV file, read without reading the file.
 *
 * Runs in the worker (worker.mjs): before a run, the page checks the header
 * against the model (Model.check on the header line alone), so a file of
 * hundreds of MB is checked by reading its first few KB.  The header is also
 * split into column names (RFC 4180: quotes, doubled quotes) so the page can
 * say which columns the model uses and which it ignores.
 */

const PIECE = 64 * 1024;          // bytes read per step while looking for the end of the header
const MAX_HEADER = 16 * 1024 * 1024; // a header longer than this is not a header we can show

/**
 * Reads the first record of `blob` (the header line, which may contain quoted
 * line breaks).  Returns { text, names, complete }: `text` is the header line
 * with its line end, `names` the column names, `complete` false when the file
 * ends inside the header (a one-line file without a final line end is complete).
 */
export async function readHeader(blob) {
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let quoted = false;
  let scanned = 0; // characters of `text` already scanned for the line end
  for (let off = 0; off < Math.min(blob.size, MAX_HEADER); off += PIECE) {
    const bytes = new Uint8Array(await blob.slice(off, off + PIECE).arrayBuffer());
    text += decoder.decode(bytes, { stream: true });
    for (; scanned < text.length; scanned++) {
      const c = text[scanned];
      if (c === '"') quoted = !quoted; // a doubled quote toggles twice
      else if (!quoted && (c === '\n' || c === '\r')) {
        const end = c === '\r' && text[scanned + 1] === '\n' ? scanned + 2 : scanned + 1;
        const line = text.slice(0, end);
        return { text: line, names: splitRecord(text.slice(0, scanned)), complete: true };
      }
    }
  }
  text += decoder.decode();
  const complete = blob.size <= MAX_HEADER && !quoted;
  return { text, names: complete ? splitRecord(text) : [], complete };
}

/** The fields of one CSV record (without its line end). */
export function splitRecord(line) {
  const fields = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  fields.push(field);
  return fields;
}
