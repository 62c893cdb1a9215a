/* save-file.mjs — hands a Blob to the browser's download, under a file name.
 * The blob: URL stays on this device (the CSP's img-src/worker-src allow blob:,
 * and a download is not a request to any server). */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has taken its own reference by now; free ours a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** "visits.csv" → "visits.predictions.csv". */
export function predictionsName(inputName) {
  const base = inputName.replace(/\.(csv|txt|tsv)$/i, '') || 'input';
  return `${base}.predictions.csv`;
}
