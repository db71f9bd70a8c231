/**
 * A small line chart in inline SVG (built with createElementNS).
 */

import {el, formatNumber, svg} from '../dom.js';

/** Categorical colours for series (Tableau 10). */
export const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
  '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
];

/**
 * The colour of a method in every chart: fixed by its place in the run.
 * @param {!Object} run The run (from the runs route).
 * @param {string} key Method key.
 * @return {string}
 */
export function methodColour(run, key) {
  const index = (run.methods || []).findIndex((m) => m.key === key);
  const slot = index < 0 ? (run.methods || []).length : index;
  return PALETTE[(slot + 2) % PALETTE.length];
}

const WIDTH = 320;
const HEIGHT = 150;
const MARGIN = {left: 48, right: 10, top: 10, bottom: 24};

/**
 * One line of a chart.
 * @typedef {{name: string, values: !Array<number>, colour: string,
 *     dashed: (boolean|undefined),
 *     band: (!Array<!Array<number>>|undefined)}} Series
 *     band: [low values, high values], drawn as a shaded interval.
 */

/**
 * Builds a line chart of several series over the same x values.
 * @param {{title: string, x: !Array<number>, series: !Array<Series>,
 *     marker: (?number|undefined), yMin: (number|undefined),
 *     yMax: (number|undefined), onPick: (function(number)|undefined)}} spec
 *     `marker` draws a vertical line at that x; `onPick` is called with the
 *     nearest x when the chart is clicked.
 * @return {!HTMLElement} A figure with the SVG and an HTML legend.
 */
export function lineChart(spec) {
  const {x, series} = spec;
  const [yMin, yMax] = yDomain(spec);
  const xMin = Math.min(...x);
  const xMax = Math.max(...x);
  const sx = (v) => MARGIN.left + ((v - xMin) / (xMax - xMin || 1)) *
    (WIDTH - MARGIN.left - MARGIN.right);
  const sy = (v) => HEIGHT - MARGIN.bottom - ((v - yMin) / (yMax - yMin || 1)) *
    (HEIGHT - MARGIN.top - MARGIN.bottom);

  const root = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: 'chart',
    role: 'img',
  });
  root.append(svg('title', {}, [document.createTextNode(spec.title)]));
  drawAxes(root, {x, xMin, xMax, yMin, yMax, sx, sy});
  for (const line of series) {
    root.append(linePath(line, x, sx, sy));
  }
  if (spec.marker !== null && spec.marker !== undefined) {
    root.append(svg('line', {
      class: 'chart-marker',
      x1: sx(spec.marker), x2: sx(spec.marker),
      y1: MARGIN.top, y2: HEIGHT - MARGIN.bottom,
    }));
  }
  if (spec.onPick) {
    root.classList.add('pickable');
    root.addEventListener('click', (event) => {
      const box = root.getBoundingClientRect();
      const px = ((event.clientX - box.left) / box.width) * WIDTH;
      let best = x[0];
      for (const value of x) {
        if (Math.abs(sx(value) - px) < Math.abs(sx(best) - px)) {
          best = value;
        }
      }
      spec.onPick(best);
    });
  }
  return el('figure', {className: 'chart-figure'}, [
    el('figcaption', {className: 'chart-title', text: spec.title}),
    root,
    legend(series),
  ]);
}

function yDomain(spec) {
  const finite = spec.series
    .flatMap((s) => [...s.values, ...(s.band ? [...s.band[0], ...s.band[1]] : [])])
    .filter((v) => Number.isFinite(v));
  let low = spec.yMin ?? (finite.length ? Math.min(...finite) : 0);
  let high = spec.yMax ?? (finite.length ? Math.max(...finite) : 1);
  if (low === high) {
    const pad = Math.abs(low) * 0.1 || 1;
    low -= pad;
    high += pad;
  }
  return [low, high];
}

function drawAxes(root, {x, xMin, xMax, yMin, yMax, sx, sy}) {
  root.append(svg('line', {
    class: 'chart-axis',
    x1: MARGIN.left, x2: WIDTH - MARGIN.right,
    y1: HEIGHT - MARGIN.bottom, y2: HEIGHT - MARGIN.bottom,
  }));
  root.append(svg('line', {
    class: 'chart-axis',
    x1: MARGIN.left, x2: MARGIN.left,
    y1: MARGIN.top, y2: HEIGHT - MARGIN.bottom,
  }));
  const ticks = [yMin, (yMin + yMax) / 2, yMax];
  let labels = ticks.map(formatNumber);
  if (new Set(labels).size < labels.length) {
    // A narrow range: show enough digits to tell the ticks apart.
    labels = ticks.map((v) => String(Number(v.toPrecision(6))));
  }
  ticks.forEach((value, i) => {
    root.append(svg('text', {
      class: 'chart-tick', x: MARGIN.left - 4, y: sy(value) + 3,
      'text-anchor': 'end',
    }, [document.createTextNode(labels[i])]));
  });
  const xTicks = x.length <= 6 ? x : [xMin, x[Math.floor(x.length / 2)], xMax];
  for (const value of xTicks) {
    root.append(svg('text', {
      class: 'chart-tick', x: sx(value), y: HEIGHT - MARGIN.bottom + 14,
      'text-anchor': 'middle',
    }, [document.createTextNode(String(value))]));
  }
}

function linePath(line, x, sx, sy) {
  let path = '';
  let pen = false;
  line.values.forEach((value, i) => {
    if (!Number.isFinite(value)) {
      pen = false;
      return;
    }
    path += `${pen ? 'L' : 'M'}${sx(x[i]).toFixed(1)},${sy(value).toFixed(1)}`;
    pen = true;
  });
  const group = svg('g', {});
  if (line.band) {
    group.append(bandPath(line, x, sx, sy));
  }
  group.append(svg('path', {
    d: path || 'M0,0',
    fill: 'none',
    stroke: line.colour,
    'stroke-width': 2,
    'stroke-dasharray': line.dashed ? '4 3' : 'none',
  }));
  line.values.forEach((value, i) => {
    if (Number.isFinite(value) && x.length <= 60) {
      group.append(svg('circle', {
        cx: sx(x[i]), cy: sy(value), r: 2.2, fill: line.colour,
      }));
    }
  });
  return group;
}

function bandPath(line, x, sx, sy) {
  const [low, high] = line.band;
  const kept = x.map((_, i) => i)
    .filter((i) => Number.isFinite(low[i]) && Number.isFinite(high[i]));
  const upper = kept.map((i) => `${sx(x[i]).toFixed(1)},${sy(high[i]).toFixed(1)}`);
  const lower = kept.reverse()
    .map((i) => `${sx(x[i]).toFixed(1)},${sy(low[i]).toFixed(1)}`);
  return svg('path', {
    d: kept.length ? `M${[...upper, ...lower].join('L')}Z` : 'M0,0',
    fill: line.colour,
    'fill-opacity': 0.15,
    stroke: 'none',
  });
}

function legend(series) {
  return el('ul', {className: 'legend'}, series.map((line) =>
    el('li', {}, [
      el('span', {
        className: line.dashed ? 'swatch dashed' : 'swatch',
        style: {borderColor: line.colour, background: line.dashed ?
          'transparent' : line.colour},
      }),
      el('span', {text: line.name}),
    ])));
}
