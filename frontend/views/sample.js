/**
 * The sample view: one probe sample's explanation at one step, methods side
 * by side on one shared colour scale (or each on its own, when asked), with
 * the prediction and its history.
 */

import {toNumber, toNumbers} from '../api.js';
import {cssColour, sharedScale, textColourOn} from '../colormaps.js';
import {el, errorBox, formatNumber, formatPercent, note} from '../dom.js';
import {lineChart, methodColour, PALETTE} from './chart.js';
import {colourBar, drawLayers, pictureFromInput, pictureFromMap} from './draw.js';
import {nameOf} from './gallery.js';
import {badge, probabilityBar, section, slider, table} from './widgets.js';

const HEATMAP_SIZE = 184;
const HEATMAP_SIZE_MANY = 144;
// Padding and border of a figure around its canvas.
const FIGURE_PADDING = 18;
const TOP_FEATURES = 12;
const MAX_PROBABILITIES = 12;
const JUDGED = ['pass', 'warn', 'fail'];

/**
 * Options the user sets in the sample view.
 * @typedef {{methods: !Array<string>, mode: string, scale: string,
 *     opacity: number, allFeatures: boolean}} SampleOptions
 *     methods: keys of the methods shown; mode: 'signed' or 'abs';
 *     scale: 'shared' (one colour scale for all methods shown) or 'each'.
 */

/**
 * The values one method's panel shows in the current mode.
 * @param {!Object} method The sample route's method entry.
 * @param {{data: Float32Array, shape: !Array<number>}} map As fetched.
 * @param {string} mode 'signed' or 'abs'.
 * @return {Float32Array}
 */
export function valuesFor(method, map, mode) {
  const views = method.views || ['signed'];
  if (mode === 'abs' && !views.includes('abs')) {
    // One channel (or tabular, tokens): |signed| is exactly the abs view.
    return map.data.map(Math.abs);
  }
  return map.data;
}

/**
 * Which view of a method to fetch for a mode.
 * @param {!Object} method The run's or the sample's method entry.
 * @param {string} mode 'signed' or 'abs'.
 * @return {string}
 */
export function viewFor(method, mode) {
  return mode === 'abs' && (method.views || []).includes('abs') ?
    'abs' : 'signed';
}

/**
 * Builds the sample view.
 * @param {{run: !Object, sample: !Object, input: ?Object,
 *     maps: !Object<string, !Object>, options: SampleOptions}} model
 *     maps: per method key, {data, shape} or {error}.
 * @param {{onOptions: function(!Object)}} handlers
 * @return {{element: !HTMLElement, setOpacity: function(number)}}
 */
export function buildSampleView(model, handlers) {
  const {run, sample, options} = model;
  const shown = sample.methods.filter((m) => options.methods.includes(m.key));
  const values = {};
  for (const method of shown) {
    const map = model.maps[method.key];
    if (map && !map.error) {
      values[method.key] = valuesFor(method, map, options.mode);
    }
  }
  const scaleOf = scalesFor(values, options);
  const layout = {run, sample, shown, values, scaleOf, model};
  let body;
  let redraw = () => {};
  if (run.modality === 'image') {
    ({body, redraw} = imagePanels(layout, options.opacity));
  } else if (run.modality === 'tabular') {
    body = featurePanels(layout, options.allFeatures, handlers);
  } else {
    body = tokenPanels(layout);
  }
  const element = el('div', {className: 'sample-view'}, [
    sampleHeader(sample),
    sampleControls(run, sample, options, handlers, (v) => redraw(v)),
    body,
    scaleLegend(shown, values, scaleOf, options),
    qualityTable(shown),
  ]);
  return {element, setOpacity: (v) => redraw(v)};
}

/**
 * The colour scale of each method shown.
 * @param {!Object<string, Float32Array>} values Per method key, as shown.
 * @param {SampleOptions} options
 * @return {function(string): !Object} Method key to its scale: one scale
 *     over every method shown, or with `scale: 'each'` each method's own.
 */
export function scalesFor(values, options) {
  const signed = options.mode === 'signed';
  const shared = sharedScale(Object.values(values), signed);
  if (options.scale !== 'each') {
    return () => shared;
  }
  const own = {};
  for (const [key, data] of Object.entries(values)) {
    own[key] = sharedScale([data], signed);
  }
  return (key) => own[key] || shared;
}

function scaleLegend(shown, values, scaleOf, options) {
  if (!shown.length) {
    return note('Pick a method to show.');
  }
  const what = options.mode === 'signed' ? 'Attribution' : '|Attribution|';
  if (options.scale !== 'each') {
    return colourBar(scaleOf(shown[0].key),
      `${what}, one scale for all methods shown`);
  }
  return note(`${what}: each method on its own scale, under its map. ` +
    'Compare where each method puts its weight, not how large it is.');
}

function sampleHeader(sample) {
  const mistaken = sample.label !== null && sample.label !== undefined &&
    sample.label !== sample.predicted;
  const probabilities = toNumbers(sample.probabilities);
  const confidence = probabilities[sample.predicted];
  return el('header', {className: 'sample-head'}, [
    el('h2', {text: `Sample #${sample.id}`}),
    el('span', {className: 'fact', attrs: {dir: 'auto'},
      text: `true: ${nameOf(sample.label_name, sample.label)}`}),
    el('span', {className: `fact ${mistaken ? 'mistaken' : 'correct'}`,
      attrs: {dir: 'auto'},
      text: `predicted: ${nameOf(sample.predicted_name, sample.predicted)}` +
        (Number.isFinite(confidence) ? ` (${formatPercent(confidence)})` : '')}),
    el('span', {className: 'fact', attrs: {dir: 'auto'},
      text: `target explained: ${nameOf(sample.target_name, sample.target)}`}),
    el('span', {className: 'fact', attrs: {dir: 'auto'},
      text: `baselines: ${sample.baseline ?
        nameOf(sample.baseline.description, sample.baseline.kind) : '—'}`}),
    el('span', {className: 'fact', text: `step ${sample.step}`}),
  ]);
}

function sampleControls(run, sample, options, handlers, redraw) {
  const toggles = sample.methods.map((method) => {
    const box = el('input', {attrs: {type: 'checkbox', value: method.key,
      'data-method': method.key}});
    box.checked = options.methods.includes(method.key);
    box.addEventListener('change', () => {
      const keys = sample.methods.map((m) => m.key).filter((key) =>
        key === method.key ? box.checked : options.methods.includes(key));
      handlers.onOptions({methods: keys});
    });
    return el('label', {className: 'chip'}, [
      box, el('span', {text: nameOf(method.label, method.key)}),
    ]);
  });
  const modes = ['signed', 'abs'].map((mode) => {
    const radio = el('input', {attrs: {type: 'radio', name: 'mode', value: mode}});
    radio.checked = options.mode === mode;
    radio.addEventListener('change', () => handlers.onOptions({mode}));
    return el('label', {className: 'chip'}, [
      radio, el('span', {text: mode === 'signed' ? 'signed' : '|absolute|'}),
    ]);
  });
  const scales = [['shared', 'one scale'], ['each', 'scale per method']]
    .map(([scale, label]) => {
      const radio = el('input', {attrs: {type: 'radio', name: 'scale',
        value: scale}});
      radio.checked = (options.scale || 'shared') === scale;
      radio.addEventListener('change', () => handlers.onOptions({scale}));
      return el('label', {className: 'chip'}, [radio, el('span', {text: label})]);
    });
  return el('div', {className: 'sample-controls'}, [
    el('div', {className: 'chips', attrs: {role: 'group',
      'aria-label': 'Methods'}}, toggles),
    el('div', {className: 'chips', attrs: {role: 'radiogroup',
      'aria-label': 'View'}}, modes),
    el('div', {className: 'chips', attrs: {role: 'radiogroup',
      'aria-label': 'Colour scale'}}, scales),
    run.modality === 'image' ? slider({
      label: 'Opacity', min: 0, max: 1, step: 0.05, value: options.opacity,
      format: (v) => `${Math.round(v * 100)}%`,
      onInput: (v) => redraw(v),
      onChange: (v) => handlers.onOptions({opacity: v}, {quiet: true}),
      className: 'control slider opacity',
    }) : null,
  ]);
}

/**
 * Quality figures of the methods shown: one row per metric, one column per
 * method. Figures judged by a rule (pass, warn, fail) come first; the
 * descriptive ones are folded.
 */
function qualityTable(shown) {
  const metrics = [...new Set(shown.flatMap((m) => Object.keys(m.quality || {})))];
  if (!metrics.length) {
    return null;
  }
  const judged = (metric) => shown.some((m) =>
    JUDGED.includes(((m.quality || {})[metric] || {}).status));
  const cell = (method, metric) => {
    const figure = (method.quality || {})[metric];
    if (!figure) {
      return el('span', {className: 'note', text: '—'});
    }
    const probe = figure.probe_status;
    const value = toNumber(figure.value);
    const compared = Number.isFinite(value);
    return el('span', {className: 'quality-cell'}, [
      el('span', {className: 'quality-value',
        text: compared ? formatNumber(value) : 'not compared',
        attrs: compared ? {} : {title: 'The explained class changed since ' +
          'the step compared with, or a map is constant'}}),
      compared ? badge(figure.status) : null,
      JUDGED.includes(probe) ? el('span', {className: 'note probe-status',
        text: `probe ${probe}`,
        attrs: {title: 'The verdict on the whole probe at this step'}}) : null,
    ]);
  };
  const rows = (names) => names.map((metric) => [
    el('span', {text: metric.replaceAll('_', ' '), attrs: {title: metric}}),
    ...shown.map((method) => cell(method, metric)),
  ]);
  const headers = ['figure', ...shown.map((m) => nameOf(m.label, m.key))];
  const first = metrics.filter(judged);
  const rest = metrics.filter((metric) => !judged(metric));
  return section('Quality at this step', [
    el('p', {className: 'note', text: 'Values and badges are this ' +
      'sample\'s, judged by each figure\'s rule; "probe" is the verdict on ' +
      'the whole probe at this step.'}),
    first.length ? table(headers, rows(first)) : null,
    rest.length ? el('details', {}, [
      el('summary', {text: `${rest.length} descriptive figure` +
        `${rest.length === 1 ? '' : 's'} (no pass/fail rule)`}),
      table(headers, rows(rest)),
    ]) : null,
  ], 'quality');
}

function worstBadge(method) {
  const statuses = Object.values(method.quality || {}).map((f) => f && f.status);
  const worst = ['fail', 'warn', 'pass'].find((s) => statuses.includes(s));
  if (!worst) {
    return null;
  }
  const count = statuses.filter((s) => s === worst).length;
  return el('div', {className: 'method-quality',
    attrs: {title: 'The worst quality status of this explanation'}}, [
    el('span', {text: 'quality '}), badge(worst),
    worst === 'pass' ? null : el('span', {className: 'note', text: ` ×${count}`}),
  ]);
}

function methodCaption(method) {
  const sum = toNumber(method.sum);
  return [
    el('figcaption', {className: 'method-name',
      text: nameOf(method.label, method.key)}),
    el('div', {className: 'method-facts',
      text: `sum ${formatNumber(sum)} · min ${formatNumber(toNumber(method.min))}` +
        ` · max ${formatNumber(toNumber(method.max))}`}),
    worstBadge(method),
  ];
}

function mapSize(map, fallback) {
  const shape = map.shape.filter((_, i) => !(i === 0 && map.shape.length > 2 &&
    map.shape[0] === 1));
  if (shape.length >= 2) {
    return [shape[1], shape[0]];
  }
  return fallback;
}

/** The colour bar under one method's panel, when each has its own scale. */
function ownBar(layout, method) {
  return layout.model.options.scale === 'each' ?
    colourBar(layout.scaleOf(method.key), nameOf(method.label, method.key)) :
    null;
}

function imagePanels(layout, opacity) {
  const {shown, values, scaleOf, model} = layout;
  const size = shown.length > 2 ? HEATMAP_SIZE_MANY : HEATMAP_SIZE;
  const picture = model.input ? pictureFromInput(model.input) : null;
  const inputCanvas = el('canvas', {className: 'input-canvas'});
  const figures = [];
  const canvases = [];
  if (picture) {
    drawLayers(inputCanvas, [{picture, alpha: 1}], size);
    figures.push(el('figure', {className: 'explanation input-figure',
      style: {width: `${size + FIGURE_PADDING}px`}}, [
      inputCanvas, el('figcaption', {className: 'method-name', text: 'Input'}),
    ]));
  } else if (model.inputError) {
    figures.push(errorBox(model.inputError, 'Input'));
  }
  for (const method of shown) {
    const map = model.maps[method.key];
    const missing = missingMap(map, method);
    if (missing) {
      figures.push(el('figure', {className: 'explanation'}, [missing]));
      continue;
    }
    const fallback = picture ? [picture.width, picture.height] : [1, 1];
    const [width, height] = mapSize(map, fallback);
    const heat = pictureFromMap(values[method.key], width, height,
      scaleOf(method.key));
    const canvas = el('canvas', {className: 'heatmap',
      attrs: {'data-method': method.key, role: 'img',
        'aria-label': `${nameOf(method.label, method.key)} attribution`}});
    canvases.push({canvas, heat});
    figures.push(el('figure', {className: 'explanation',
      style: {width: `${size + FIGURE_PADDING}px`},
      attrs: {'data-method': method.key}}, [canvas,
      ...methodCaption(method), ownBar(layout, method)]));
  }
  const redraw = (alpha) => {
    for (const {canvas, heat} of canvases) {
      const layers = picture && picture.width === heat.width &&
        picture.height === heat.height ?
        [{picture, alpha: 1}, {picture: heat, alpha}] :
        [{picture: heat, alpha: 1}];
      drawLayers(canvas, layers, size);
    }
  };
  redraw(opacity);
  return {body: el('div', {className: 'explanations'}, figures), redraw};
}

/**
 * The error box of a method whose map failed or has not loaded, else null.
 * @param {?Object} map The map as loaded, with an `error` when it failed.
 * @param {{key: string, label: ?string}} method The method shown.
 * @return {?Element}
 */
function missingMap(map, method) {
  if (map && !map.error) return null;
  return errorBox(map ? map.error : 'not loaded', nameOf(method.label, method.key));
}

function featurePanels(layout, allFeatures, handlers) {
  const {run, sample, shown, values, scaleOf, model} = layout;
  const names = run.feature_names || [];
  const featureValues = toNumbers(sample.feature_values);
  const panels = shown.map((method) => {
    const missing = missingMap(model.maps[method.key], method);
    if (missing) return missing;
    const data = values[method.key];
    const order = Array.from(data.keys())
      .sort((a, b) => Math.abs(data[b]) - Math.abs(data[a]));
    const rows = (allFeatures ? order : order.slice(0, TOP_FEATURES))
      .map((i) => featureRow(nameOf(names[i], `feature ${i}`),
        featureValues[i], data[i], scaleOf(method.key)));
    return el('figure', {className: 'explanation features',
      attrs: {'data-method': method.key}}, [
      ...methodCaption(method),
      el('div', {className: 'feature-rows'}, rows),
      ownBar(layout, method),
    ]);
  });
  const count = names.length || (shown[0] && values[shown[0].key] ?
    values[shown[0].key].length : 0);
  return el('div', {className: 'feature-view'}, [
    el('div', {className: 'explanations'}, panels),
    count > TOP_FEATURES ? el('button', {
      className: 'link-button',
      attrs: {type: 'button'},
      text: allFeatures ? `Show the top ${TOP_FEATURES} features` :
        `Show all ${count} features`,
      on: {click: () => handlers.onOptions({allFeatures: !allFeatures})},
    }) : null,
  ]);
}

function featureRow(name, value, attribution, scale) {
  const extent = Math.max(Math.abs(scale.min), Math.abs(scale.max)) || 1;
  const share = Math.min(1, Math.abs(attribution) / extent) * 50;
  const positive = attribution >= 0;
  return el('div', {className: 'feature-row',
    attrs: {title: `attribution ${formatNumber(attribution)}`}}, [
    el('span', {className: 'feature-name', text: name,
      attrs: {dir: 'auto', title: name}}),
    el('span', {className: 'feature-value',
      text: Number.isNaN(value) ? '' : `= ${formatNumber(value)}`}),
    el('span', {className: 'feature-track'}, [
      el('span', {className: 'feature-bar', style: {
        left: positive ? '50%' : `${50 - share}%`,
        width: `${share}%`,
        background: cssColour(scale, scale.colormap.diverging ?
          attribution : Math.abs(attribution)),
      }}),
    ]),
    el('span', {className: 'feature-attr', text: formatNumber(attribution)}),
  ]);
}

function tokenPanels(layout) {
  const {run, shown, values, scaleOf, model} = layout;
  const input = model.input;
  const panels = shown.map((method) => {
    const missing = missingMap(model.maps[method.key], method);
    if (missing) return missing;
    const data = values[method.key];
    const scale = scaleOf(method.key);
    const chips = Array.from(data, (value, t) => {
      const label = tokenLabel(run, input, t, data.length);
      return el('span', {
        className: 'token',
        text: label,
        attrs: {title: `${run.modality === 'text' ? 'token' : 'step'} ${t}: ` +
          formatNumber(value)},
        style: {background: cssColour(scale, value),
          color: textColourOn(scale, value)},
      });
    });
    return el('figure', {className: 'explanation tokens',
      attrs: {'data-method': method.key}}, [
      ...methodCaption(method),
      el('div', {className: 'token-strip'}, chips),
      ownBar(layout, method),
    ]);
  });
  return el('div', {className: 'explanations stacked'}, panels);
}

function tokenLabel(run, input, t, length) {
  if (!input || !input.data.length) {
    return String(t);
  }
  const perStep = Math.max(1, Math.floor(input.data.length / length));
  const value = input.data[t * perStep];
  return run.modality === 'text' ? String(value) : formatNumber(value);
}

/**
 * Builds the prediction's probabilities as bars.
 * @param {!Object} run The run (from the runs route).
 * @param {!Object} sample The sample route's answer.
 * @return {!HTMLElement}
 */
export function buildProbabilities(run, sample) {
  const probabilities = toNumbers(sample.probabilities);
  if (run.task === 'regression') {
    return section('Prediction', [
      el('p', {className: 'big-number', text: formatNumber(probabilities[0])}),
      sample.label !== null && sample.label !== undefined ?
        el('p', {text: `true value: ${formatNumber(toNumber(sample.label))}`}) :
        null,
    ], 'probabilities');
  }
  const names = run.class_names || [];
  let order = probabilities.map((_, i) => i);
  if (order.length > MAX_PROBABILITIES) {
    order = order.sort((a, b) => probabilities[b] - probabilities[a])
      .slice(0, MAX_PROBABILITIES);
  }
  const rows = order.map((i) => probabilityBar({
    name: nameOf(names[i], i),
    value: probabilities[i],
    marks: [i === sample.label ? 'true' : null,
      i === sample.predicted ? 'predicted' : null].filter(Boolean),
  }));
  return section('Probabilities', rows, 'probabilities');
}

/**
 * Builds the charts of how the prediction and each method's attribution sum
 * changed over training.
 * @param {!Object} run The run (from the runs route).
 * @param {!Object} history The history route's answer.
 * @param {?number} step The step shown (marked on the charts).
 * @param {function(number)} onPick Called with a step clicked on a chart.
 * @return {!HTMLElement}
 */
export function buildHistory(run, history, step, onPick) {
  const steps = toNumbers(history.steps);
  if (steps.length < 1) {
    return section('Over training', [note('No steps recorded yet.')]);
  }
  const probability = lineChart({
    title: 'Probability',
    x: steps,
    series: [
      {name: 'of the target', values: toNumbers(history.target_probability),
        colour: PALETTE[0]},
      {name: 'of the true class', values: toNumbers(history.label_probability),
        colour: PALETTE[1], dashed: true},
    ],
    yMin: 0, yMax: 1, marker: step, onPick,
  });
  const labels = Object.fromEntries((run.methods || []).map((m) =>
    [m.key, nameOf(m.label, m.key)]));
  const sums = lineChart({
    title: 'Attribution sum',
    x: steps,
    series: Object.entries(history.methods || {}).map(([key, figures]) => ({
      name: labels[key] || key,
      values: toNumbers(figures.sum),
      colour: methodColour(run, key),
    })),
    marker: step, onPick,
  });
  return section('Over training', [
    el('div', {className: 'charts'}, [probability, sums]),
    el('p', {className: 'note', text: 'Click a chart to jump to that step.'}),
  ], 'history');
}
