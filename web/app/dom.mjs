/* dom.mjs — a few DOM helpers shared by the page's modules.
 *
 * Elements are built with createElement and textContent only: file names,
 * column names and labels come from the user's files and are never parsed as
 * HTML.  Styles are set through the CSSOM (element.style), which the page's
 * CSP (style-src 'self', no 'unsafe-inline') allows, unlike style attributes.
 */

/** The element with this id; a missing id is a bug in index.html, so it throws. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`index.html has no element #${id}`);
  return node;
}

/**
 * el('td', { className: 'num', title: 'x' }, 'text', child) — an element with
 * properties (dataset, aria and other attributes under `attrs`) and children
 * (strings become text nodes; null and false are skipped).
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { attrs, dataset, ...rest } = props;
  Object.assign(node, rest);
  if (attrs) for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (dataset) Object.assign(node.dataset, dataset);
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes. */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) node.append(c);
  return node;
}

/** Text only visible to screen readers (see .visually-hidden in style.css). */
export function srOnly(text) {
  return el('span', { className: 'visually-hidden' }, text);
}
