/**
 * The global view: importance per class, first-layer weight pictures,
 * weight and gradient statistics, training logs, and probe-level quality
 * over training.
 */

import {toNumber, toNumbers} from '../api.js';
import {cssColour, sharedScale} from '../colormaps.js';
import {el, errorBox, formatNumber, note} from '../dom.js';
import {lineChart, methodColour, PALETTE} from './chart.js';
import {colourBar, drawLayers, pictureFromInput, pictureFromMap} from './draw.js';
import {nameOf} from './gallery.js';
import {badge, section, select, table} from './widgets.js';

const CLASS_MAP_SIZE = 96;
const WEIGHT_SIZE = 48;
const MAX_WEIGHT_PICTURES = 64;
const TOP_FEATURES = 15;
const JUDGED = ['pass', 'warn', 'fail'];

/**
 * Builds the global view.
 * @param {{run: !Object, method: string, global: !Object, quality: !Object,
 *     detail: !Object}} model Each of global, quality and detail is the
 *     route's answer or {error}.
 * @param {{onMethod: function(string)}} handlers
 * @return {!HTMLElement}
 */
export function buildGlobalView(model, handlers) {
  const {run} = model;
  const controls = el('div', {className: 'view-controls'}, [
    select({
      label: 'Method',
      options: (run.methods || []).map((m) =>
        ({value: m.key, label: nameOf(m.label, m.key)})),
      value: model.method,
      onChange: handlers.onMethod,
    }),
    model.global.error ? null :
      el('span', {className: 'fact', text: `step ${model.global.step}`}),
  ]);
  const parts = [controls];
  if (model.global.error) {
    parts.push(errorBox(model.global.error, 'Global view'));
  } else {
    parts.push(importanceSection(run, model.global));
    parts.push(weightPictures(model.global.pictures));
    parts.push(weightTable(model.global.weights));
  }
  parts.push(logsSection(model.detail));
  parts.push(qualitySection(run, model.quality));
  return el('div', {className: 'global-view'}, parts);
}

function rowNames(data) {
  const classes = data.class_names || [];
  return (data.rows || []).map((_, i) =>
    i === 0 ? 'all samples' : nameOf(classes[i - 1], `class ${i - 1}`));
}

function importanceSection(run, data) {
  const rows = (data.rows || []).map((row) => row === null ? null :
    toNumbers(row));
  const names = rowNames(data);
  const title = 'Importance per class (mean |attribution|)';
  if (!rows.length) {
    return section(title, [note('No importance recorded at this step.')]);
  }
  const scale = sharedScale(rows.filter(Boolean), false);
  if (run.modality === 'image') {
    const shape = data.shape || [];
    const [height, width] = shape.length >= 2 ? shape : [1, rows[0]?.length || 1];
    const tiles = rows.map((row, i) => el('figure', {className: 'class-map'}, [
      row === null ? el('div', {className: 'missing-tile',
        text: 'no sample of this class in the probe'}) :
        mapCanvas(row, width, height, scale, CLASS_MAP_SIZE),
      el('figcaption', {text: names[i], attrs: {dir: 'auto'}}),
    ]));
    return section(title, [
      el('div', {className: 'class-maps'}, tiles),
      colourBar(scale, 'Mean |attribution|'),
    ], 'importance');
  }
  return section(title, [featureImportance(run, rows, names, scale)],
    'importance');
}

function mapCanvas(values, width, height, scale, size) {
  const canvas = el('canvas', {className: 'class-canvas'});
  const picture = pictureFromMap(values, width, height, scale);
  drawLayers(canvas, [{picture, alpha: 1}], size);
  return canvas;
}

function featureImportance(run, rows, names, scale) {
  const features = run.feature_names || [];
  const overall = rows[0] || rows.find(Boolean) || [];
  const order = Array.from(overall.keys())
    .sort((a, b) => overall[b] - overall[a]).slice(0, TOP_FEATURES);
  const extent = scale.max || 1;
  const blocks = rows.map((row, r) => el('div', {className: 'importance-block'}, [
    el('h4', {text: names[r], attrs: {dir: 'auto'}}),
    row === null ? note('No sample of this class in the probe.') :
      el('div', {className: 'feature-rows'}, order.map((i) =>
        el('div', {className: 'feature-row importance-row'}, [
          el('span', {className: 'feature-name',
            attrs: {dir: 'auto', title: nameOf(features[i], `feature ${i}`)},
            text: nameOf(features[i], `feature ${i}`)}),
          el('span', {className: 'feature-track'}, [
            el('span', {className: 'feature-bar', style: {
              left: '0',
              width: `${Math.max(0, Math.min(1, row[i] / extent)) * 100}%`,
              background: cssColour(scale, row[i]),
            }}),
          ]),
          el('span', {className: 'feature-attr', text: formatNumber(row[i])}),
        ]))),
  ]));
  return el('div', {className: 'importance-grid'}, blocks);
}

function weightPictures(pictures) {
  const title = 'First-layer weights';
  if (!pictures || !pictures.shape || !pictures.data) {
    return section(title, [note('No weight pictures in this run ' +
      '(they are written for a first layer that maps onto the input image).')]);
  }
  const [units, height, width, channels = 1] = pictures.shape;
  const data = toNumbers(pictures.data);
  const size = height * width * channels;
  const shown = Math.min(units, MAX_WEIGHT_PICTURES);
  const scale = sharedScale([data], true);
  const tiles = [];
  for (let u = 0; u < shown; u++) {
    const unit = data.slice(u * size, (u + 1) * size);
    const picture = channels === 1 ?
      pictureFromMap(unit, width, height, scale) :
      pictureFromInput({data: Float32Array.from(unit),
        shape: [height, width, channels]});
    const canvas = el('canvas', {className: 'weight-canvas',
      attrs: {title: `unit ${u}`}});
    drawLayers(canvas, [{picture, alpha: 1}], WEIGHT_SIZE);
    tiles.push(canvas);
  }
  return section(title, [
    el('div', {className: 'weight-grid'}, tiles),
    units > shown ? note(`Showing ${shown} of ${units} units.`) : null,
    channels === 1 ? colourBar(scale, 'Weight') :
      note('Colour weights: each unit stretched to its own range.'),
  ], 'weights');
}

function weightTable(weights) {
  const title = 'Weight and gradient statistics';
  if (!weights || !weights.length) {
    return section(title, [note('No weight statistics at this step.')]);
  }
  const rows = weights.map((w) => [
    nameOf(w.layer, '—'), nameOf(w.class, '—'),
    toNumber(w.weight_norm), toNumber(w.weight_mean), toNumber(w.weight_std),
    toNumber(w.dead_fraction), toNumber(w.grad_norm),
  ]);
  return section(title, [table(
    ['layer', 'class', 'weight norm', 'mean', 'std', 'dead fraction',
      'gradient norm'], rows)], 'weight-stats');
}

function logsSection(detail) {
  const title = 'Training';
  if (!detail || detail.error) {
    return section(title, [errorBox(detail ? detail.error : 'not loaded',
      'Training logs')]);
  }
  const logs = Object.entries(detail.logs || {});
  if (!logs.length) {
    return section(title, [note('No Keras logs recorded.')]);
  }
  const groups = {};
  for (const [name, points] of logs) {
    const kind = name.replace(/^val_/, '');
    (groups[kind] = groups[kind] || []).push([name, points]);
  }
  const charts = Object.entries(groups).map(([kind, series]) => {
    const steps = [...new Set(series.flatMap(([, points]) =>
      points.map((p) => toNumber(p[0]))))].sort((a, b) => a - b);
    return lineChart({
      title: kind,
      x: steps,
      series: series.map(([name, points], i) => {
        const byStep = new Map(points.map((p) => [toNumber(p[0]), toNumber(p[1])]));
        return {name, values: steps.map((s) => byStep.get(s) ?? NaN),
          colour: PALETTE[i % PALETTE.length], dashed: name.startsWith('val_')};
      }),
    });
  });
  return section(title, [el('div', {className: 'charts'}, charts)], 'logs');
}

const QUALITY_HEADERS = ['metric', 'method', 'value', 'interval', 'n', 'rule',
  'status'];

function qualitySection(run, quality) {
  const title = 'Explanation quality over training (probe level)';
  if (!quality || quality.error) {
    return section(title, [errorBox(quality ? quality.error : 'not loaded',
      'Quality')]);
  }
  const steps = toNumbers(quality.steps);
  if (!steps.length) {
    return section(title, [note(run.has_quality === false ?
      'Quality was not computed for this run.' : 'No quality figures yet.')]);
  }
  const summary = quality.summary || {};
  const last = steps[steps.length - 1];
  const latest = [...(summary[String(last)] || [])]
    .sort((a, b) => severity(a) - severity(b));
  const judged = new Set(latest.filter((f) => JUDGED.includes(f.status))
    .map((f) => String(f.metric)));
  const metrics = Object.entries(seriesByMetric(summary, steps));
  const chart = ([metric, methods]) => qualityChart(run, metric, methods, steps);
  const row = (f) => qualityRow(run, f);
  const ruled = latest.filter((f) => JUDGED.includes(f.status));
  const described = latest.filter((f) => !JUDGED.includes(f.status));
  const others = metrics.filter(([metric]) => !judged.has(metric));
  return section(title, [
    el('h4', {text: `At step ${last}`}),
    ruled.length ? table(QUALITY_HEADERS, ruled.map(row)) : null,
    el('div', {className: 'charts'}, metrics
      .filter(([metric]) => judged.has(metric)).map(chart)),
    others.length || described.length ? el('details', {}, [
      el('summary', {text: 'Descriptive figures (no pass/fail rule)'}),
      described.length ? table(QUALITY_HEADERS, described.map(row)) : null,
      el('div', {className: 'charts'}, others.map(chart)),
    ]) : null,
  ], 'quality-over-time');
}

function severity(figure) {
  const rank = ['fail', 'warn', 'pass'].indexOf(figure.status);
  return rank < 0 ? 3 : rank;
}

/** metric -> method -> step -> [value, low, high]. */
function seriesByMetric(summary, steps) {
  const byMetric = {};
  for (const step of steps) {
    for (const figure of summary[String(step)] || []) {
      const metric = String(figure.metric);
      byMetric[metric] = byMetric[metric] || {};
      const series = byMetric[metric][figure.method] ||= new Map();
      const interval = Array.isArray(figure.interval) ?
        toNumbers(figure.interval) : [NaN, NaN];
      series.set(step, [toNumber(figure.value), ...interval]);
    }
  }
  return byMetric;
}

function qualityChart(run, metric, methods, steps) {
  return lineChart({
    title: metric.replaceAll('_', ' '),
    x: steps,
    series: Object.entries(methods).map(([key, values]) => {
      const at = (s, k) => (values.get(s) || [NaN, NaN, NaN])[k];
      return {
        name: methodLabel(run, key),
        values: steps.map((s) => at(s, 0)),
        band: [steps.map((s) => at(s, 1)), steps.map((s) => at(s, 2))],
        colour: methodColour(run, key),
      };
    }),
  });
}

function qualityRow(run, figure) {
  return [
    String(figure.metric).replaceAll('_', ' '), methodLabel(run, figure.method),
    toNumber(figure.value), intervalText(figure.interval),
    figure.n === null || figure.n === undefined ? '—' : String(figure.n),
    nameOf(figure.rule, '—'), badge(figure.status),
  ];
}

function methodLabel(run, key) {
  const method = (run.methods || []).find((m) => m.key === key);
  return method ? nameOf(method.label, key) : String(key);
}

function intervalText(interval) {
  if (!Array.isArray(interval) || interval.length !== 2) {
    return '—';
  }
  const [low, high] = toNumbers(interval);
  return `[${formatNumber(low)}, ${formatNumber(high)}]`;
}
