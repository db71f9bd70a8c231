/**
 * The gallery of probe samples: filters, and a card per sample (a lazily
 * drawn thumbnail for images, a compact row otherwise).
 */

import {el, formatPercent, note, replace} from '../dom.js';
import {drawLayers, pictureFromInput} from './draw.js';
import {select} from './widgets.js';

const THUMB_SIZE = 56;
const MAX_PARALLEL = 4;

/**
 * Gallery filters.
 * @typedef {{label: string, outcome: string, minConfidence: number,
 *     maxConfidence: number, sort: string}} Filters
 */

/** @return {Filters} Filters that keep everything. */
export function defaultFilters() {
  return {label: '', outcome: 'all', minConfidence: 0, maxConfidence: 1,
    sort: 'index'};
}

/**
 * Applies filters and sorting to samples.
 * @param {!Array<!Object>} samples The samples route's samples.
 * @param {Filters} filters
 * @return {!Array<!Object>}
 */
export function filterSamples(samples, filters) {
  const kept = samples.filter((sample) => {
    if (filters.label !== '' && String(sample.label) !== filters.label) {
      return false;
    }
    if (filters.outcome === 'correct' && sample.correct !== true) {
      return false;
    }
    if (filters.outcome === 'mistaken' && sample.correct !== false) {
      return false;
    }
    const confidence = Number(sample.confidence);
    return !(confidence < filters.minConfidence ||
      confidence > filters.maxConfidence);
  });
  const byConfidence = (a, b) => Number(a.confidence) - Number(b.confidence);
  if (filters.sort === 'confidence-asc') {
    kept.sort(byConfidence);
  } else if (filters.sort === 'confidence-desc') {
    kept.sort((a, b) => byConfidence(b, a));
  }
  return kept;
}

/**
 * Builds the filter bar.
 * @param {!Object} run The run (from the runs route).
 * @param {Filters} filters Current filters.
 * @param {function(Filters)} onChange Called with the new filters.
 * @return {!HTMLElement}
 */
export function buildFilters(run, filters, onChange) {
  const change = (patch) => onChange({...filters, ...patch});
  const classes = (run.class_names || []).map((name, i) =>
    ({value: String(i), label: String(name)}));
  const confidence = (key, label) => el('label', {className: 'control'}, [
    el('span', {className: 'control-label', text: label}),
    el('input', {
      className: 'confidence-input',
      attrs: {type: 'number', min: 0, max: 1, step: 0.05,
        value: filters[key], 'aria-label': `${label} confidence`},
      on: {change: (event) => {
        const value = Math.min(1, Math.max(0, Number(event.target.value)));
        change({[key]: Number.isFinite(value) ? value : filters[key]});
      }},
    }),
  ]);
  return el('div', {className: 'filters'}, [
    classes.length ? select({
      label: 'True class',
      options: [{value: '', label: 'all'}, ...classes],
      value: filters.label,
      onChange: (value) => change({label: value}),
    }) : null,
    select({
      label: 'Outcome',
      options: [
        {value: 'all', label: 'all'},
        {value: 'correct', label: 'correct'},
        {value: 'mistaken', label: 'mistaken'},
      ],
      value: filters.outcome,
      onChange: (value) => change({outcome: value}),
    }),
    confidence('minConfidence', 'Confidence ≥'),
    confidence('maxConfidence', '≤'),
    select({
      label: 'Sort',
      options: [
        {value: 'index', label: 'probe order'},
        {value: 'confidence-asc', label: 'least confident'},
        {value: 'confidence-desc', label: 'most confident'},
      ],
      value: filters.sort,
      onChange: (value) => change({sort: value}),
    }),
  ]);
}

/**
 * The sample cards. Thumbnails are fetched and drawn only when their card
 * scrolls into view, a few at a time, so a large probe renders at once.
 */
export class Gallery {
  /**
   * @param {{onSelect: function(number),
   *     loadInput: function(number): Promise<!Object>}} handlers
   *     loadInput gives a sample's probe input (cached by the caller).
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.element = el('div', {className: 'gallery', attrs: {role: 'listbox'}});
    this.queue = [];
    this.running = 0;
    this.generation = 0;
    this.observer = new IntersectionObserver(
      (entries) => this.onVisible(entries), {root: null, rootMargin: '200px'});
  }

  /**
   * Shows samples.
   * @param {!Object} run The run (from the runs route).
   * @param {!Array<!Object>} samples Filtered samples, in display order.
   * @param {?number} selected The selected sample index.
   * @param {number} total Samples before filtering.
   */
  show(run, samples, selected, total) {
    this.generation += 1;
    this.observer.disconnect();
    this.queue = [];
    const images = run.modality === 'image';
    this.element.classList.toggle('gallery-rows', !images);
    const cards = samples.map((sample) => this.card(sample, images, selected));
    replace(this.element, [
      el('p', {className: 'gallery-count',
        text: `${samples.length} of ${total} samples`}),
      samples.length ? null : note('No sample matches these filters.'),
      ...cards,
    ]);
  }

  card(sample, images, selected) {
    const outcome = sample.correct === true ? 'correct' :
      sample.correct === false ? 'mistaken' : 'unknown';
    const card = el('button', {
      className: `card card-${outcome}`,
      attrs: {
        type: 'button', role: 'option',
        'aria-selected': sample.index === selected ? 'true' : 'false',
        'data-index': sample.index,
        title: `Sample ${sample.id}`,
      },
      on: {click: () => this.handlers.onSelect(sample.index)},
    });
    const facts = [
      el('span', {className: 'card-id', text: `#${sample.id}`}),
      el('span', {className: 'card-label', attrs: {dir: 'auto'},
        text: `true: ${nameOf(sample.label_name, sample.label)}`}),
      el('span', {className: 'card-pred', attrs: {dir: 'auto'},
        text: `pred: ${nameOf(sample.predicted_name, sample.predicted)}`}),
      el('span', {className: 'card-conf',
        text: formatPercent(Number(sample.confidence))}),
    ];
    if (images) {
      const canvas = el('canvas', {
        className: 'thumb',
        attrs: {width: THUMB_SIZE, height: THUMB_SIZE, 'data-index': sample.index},
      });
      card.append(canvas, el('span', {className: 'card-facts'}, facts));
      this.observer.observe(canvas);
    } else {
      card.append(...facts);
    }
    return card;
  }

  onVisible(entries) {
    for (const entry of entries) {
      if (entry.isIntersecting) {
        this.observer.unobserve(entry.target);
        this.queue.push(entry.target);
      }
    }
    this.pump();
  }

  pump() {
    while (this.running < MAX_PARALLEL && this.queue.length) {
      const canvas = this.queue.shift();
      const generation = this.generation;
      this.running += 1;
      this.handlers.loadInput(Number(canvas.dataset.index))
        .then((input) => {
          const picture = generation === this.generation &&
            pictureFromInput(input);
          if (picture) {
            drawLayers(canvas, [{picture, alpha: 1}], THUMB_SIZE);
          }
        })
        .catch((error) => {
          canvas.title = `Input not available: ${error.message}`;
          canvas.classList.add('thumb-failed');
        })
        .finally(() => {
          this.running -= 1;
          this.pump();
        });
    }
  }

  /**
   * Marks the selected card.
   * @param {?number} index
   */
  select(index) {
    for (const card of this.element.querySelectorAll('.card')) {
      card.setAttribute('aria-selected',
        Number(card.dataset.index) === index ? 'true' : 'false');
    }
  }
}

/**
 * A class's display name: its name, else its number.
 * @param {?string} name
 * @param {*} value
 * @return {string}
 */
export function nameOf(name, value) {
  if (name !== null && name !== undefined && name !== '') {
    return String(name);
  }
  return value === null || value === undefined ? '—' : String(value);
}
