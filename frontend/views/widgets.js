/**
 * Small building blocks shared by the views: badges, bars, selects, sliders.
 */

import {el, formatNumber, formatPercent} from '../dom.js';

/**
 * A quality badge: pass, warn, fail or info (anything else: unknown).
 * @param {string} status
 * @return {!HTMLElement}
 */
export function badge(status) {
  const known = ['pass', 'warn', 'fail', 'info'].includes(status) ?
    status : 'unknown';
  return el('span', {
    className: `badge badge-${known}`,
    text: status === null || status === undefined ? 'n/a' : String(status),
  });
}

/**
 * A <select> with options from values and labels (labels set as text).
 * @param {{label: string, options: !Array<{value: string, label: string}>,
 *     value: string, onChange: function(string), className: (string|undefined)}}
 *     spec
 * @return {!HTMLElement} A <label> wrapping the text and the select.
 */
export function select(spec) {
  const control = el('select', {
    on: {change: (event) => spec.onChange(event.target.value)},
  });
  for (const option of spec.options) {
    const node = el('option', {text: option.label, attrs: {value: option.value}});
    node.selected = option.value === spec.value;
    control.append(node);
  }
  return el('label', {className: spec.className || 'control'}, [
    el('span', {className: 'control-label', text: spec.label}),
    control,
  ]);
}

/**
 * A range slider with a live value text.
 * @param {{label: string, min: number, max: number, step: number,
 *     value: number, format: function(number): string,
 *     onInput: function(number), onChange: (function(number)|undefined),
 *     className: (string|undefined)}} spec
 *     onInput fires while dragging; onChange when the drag ends.
 * @return {!HTMLElement}
 */
export function slider(spec) {
  const output = el('output', {text: spec.format(spec.value)});
  const input = el('input', {
    attrs: {
      type: 'range', min: spec.min, max: spec.max, step: spec.step,
      'aria-label': spec.label,
    },
  });
  input.value = String(spec.value);
  input.addEventListener('input', () => {
    output.textContent = spec.format(Number(input.value));
    spec.onInput(Number(input.value));
  });
  if (spec.onChange) {
    input.addEventListener('change', () => spec.onChange(Number(input.value)));
  }
  return el('label', {className: spec.className || 'control slider'}, [
    el('span', {className: 'control-label', text: spec.label}),
    input,
    output,
  ]);
}

/**
 * A labelled horizontal bar for a probability.
 * @param {{name: string, value: number, marks: !Array<string>}} spec
 *     marks: short tags such as 'true' or 'predicted'.
 * @return {!HTMLElement}
 */
export function probabilityBar(spec) {
  const width = Number.isFinite(spec.value) ?
    Math.max(0, Math.min(1, spec.value)) * 100 : 0;
  return el('div', {className: 'prob-row'}, [
    el('span', {className: 'prob-name', text: spec.name, attrs: {dir: 'auto'}}),
    el('span', {className: 'prob-track'}, [
      el('span', {
        className: `prob-fill ${spec.marks.join(' ')}`,
        style: {width: `${width}%`},
      }),
    ]),
    el('span', {className: 'prob-value', text: formatPercent(spec.value)}),
    el('span', {className: 'prob-marks'}, spec.marks.map((mark) =>
      el('span', {className: `mark mark-${mark}`, text: mark}))),
  ]);
}

/**
 * A table from rows of cells (all text).
 * @param {!Array<string>} headers
 * @param {!Array<!Array<(string|number|Node)>>} rows Numbers are formatted.
 * @return {!HTMLElement}
 */
export function table(headers, rows) {
  return el('table', {className: 'data-table'}, [
    el('thead', {}, [el('tr', {}, headers.map((h) => el('th', {text: h})))]),
    el('tbody', {}, rows.map((row) => el('tr', {}, row.map((cell) =>
      el('td', {className: typeof cell === 'number' ? 'num' : ''},
        [cell instanceof Node ? cell :
          typeof cell === 'number' ? formatNumber(cell) : String(cell)]))))),
  ]);
}

/**
 * A section with a heading.
 * @param {string} title
 * @param {!Array<(Node|string|null|undefined|false)>} children
 * @param {string=} className
 * @return {!HTMLElement}
 */
export function section(title, children, className = '') {
  return el('section', {className: `panel ${className}`}, [
    el('h3', {text: title}),
    ...children,
  ]);
}
