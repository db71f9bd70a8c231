/**
 * Small DOM helpers. Every text from the data goes in through textContent or
 * attribute setters, never through innerHTML.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Creates an element.
 * @param {string} tag Tag name.
 * @param {{className: (string|undefined), text: (*|undefined),
 *     attrs: (Object|undefined), style: (Object|undefined),
 *     on: (Object<string, Function>|undefined)}=} options
 * @param {!Array<(Node|string|null|undefined|false)>=} children Nodes or
 *     strings (strings become text nodes); falsy entries are skipped.
 * @return {!HTMLElement}
 */
export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  decorate(node, options);
  append(node, children);
  return node;
}

/**
 * Creates an SVG element (inline SVG built with createElementNS).
 * @param {string} tag SVG tag name.
 * @param {Object<string, (string|number)>=} attrs Attributes.
 * @param {!Array<(Node|null|undefined|false)>=} children
 * @return {!SVGElement}
 */
export function svg(tag, attrs = {}, children = []) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function decorate(node, options) {
  if (options.className) {
    node.className = options.className;
  }
  if (options.text !== undefined && options.text !== null) {
    node.textContent = String(options.text);
  }
  for (const [key, value] of Object.entries(options.attrs || {})) {
    if (value !== null && value !== undefined && value !== false) {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  Object.assign(node.style, options.style || {});
  for (const [event, handler] of Object.entries(options.on || {})) {
    node.addEventListener(event, handler);
  }
}

/**
 * Appends children (nodes or text) to a node.
 * @param {!Node} node
 * @param {!Array<(Node|string|null|undefined|false)>} children
 */
export function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.append(typeof child === 'string' ? document.createTextNode(child) :
      child);
  }
}

/**
 * Replaces all children of a node.
 * @param {!Node} node
 * @param {!Array<(Node|string|null|undefined|false)>=} children
 */
export function replace(node, children = []) {
  node.replaceChildren();
  append(node, children);
}

/**
 * Formats a number for display: 3 significant digits, exponent notation for
 * very small or large magnitudes, words for non-finite values.
 * @param {number} value
 * @return {string}
 */
export function formatNumber(value) {
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? '∞' : '−∞';
  }
  if (value === 0) {
    return '0';
  }
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e5) {
    return value.toExponential(2);
  }
  return String(Number(value.toPrecision(3)));
}

/**
 * Formats a probability as a percentage.
 * @param {number} value In 0..1.
 * @return {string}
 */
export function formatPercent(value) {
  if (!Number.isFinite(value)) {
    return formatNumber(value);
  }
  return `${(100 * value).toFixed(1)}%`;
}

/**
 * A guard against stale responses: each request takes a token, and only the
 * newest token's response may touch the page.
 */
export class RequestGuard {
  constructor() {
    this.current = 0;
  }

  /** @return {number} A fresh token; older tokens become stale. */
  next() {
    this.current += 1;
    return this.current;
  }

  /**
   * @param {number} token
   * @return {boolean} Whether token is still the newest.
   */
  isCurrent(token) {
    return token === this.current;
  }
}

/**
 * A block that shows an error's text in the page.
 * @param {*} error An Error (its message is shown) or a string.
 * @param {string=} context What was being loaded.
 * @return {!HTMLElement}
 */
export function errorBox(error, context = '') {
  const message = error && error.message ? error.message : String(error);
  return el('div', {className: 'error', attrs: {role: 'alert'}}, [
    context ? el('strong', {text: `${context}: `}) : null,
    el('span', {className: 'error-text', text: message}),
  ]);
}

/**
 * A small muted placeholder line.
 * @param {string} text
 * @return {!HTMLElement}
 */
export function note(text) {
  return el('p', {className: 'note', text});
}

/**
 * Reads a CSS custom property of the document (theme colours for canvas).
 * @param {string} name E.g. '--fg'.
 * @param {string=} fallback
 * @return {string}
 */
export function themeColour(name, fallback = '#888') {
  const value = getComputedStyle(document.documentElement)
    .getPropertyValue(name).trim();
  return value || fallback;
}
