/* drop-zone.mjs — lets files be dropped on the box around a file input.
 *
 * The real control stays the labelled <input type="file"> inside the box
 * (keyboard and screen-reader users pick files with it, tests drive it); a drop
 * only fills that input and fires its change event, as picking would.
 */

/** Puts `files` into `input` and fires `change`, as if the user had picked them. */
export function setFiles(input, files) {
  const dt = new DataTransfer();
  for (const f of files) dt.items.add(f);
  input.files = dt.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

/**
 * Makes `zone` accept dropped files.  `route(files)` returns [[input, files], …]:
 * which input gets which of the dropped files.
 */
export function dropZone(zone, route) {
  let depth = 0; // dragenter/leave fire for every child; count them
  zone.addEventListener('dragenter', (e) => {
    e.preventDefault();
    depth++;
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove('dragging');
  });
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    zone.classList.remove('dragging');
    const files = [...(e.dataTransfer?.files || [])];
    if (!files.length) return;
    for (const [input, picked] of route(files)) if (picked.length) setFiles(input, picked);
  });
}

// Files dropped outside a zone would make the browser open them, leaving the page.
for (const type of ['dragover', 'drop']) {
  window.addEventListener(type, (e) => {
    if (!e.defaultPrevented) e.preventDefault();
  });
}
