/**
 * Canvas drawing shared by the views: probe images, heatmap overlays,
 * colour bars.
 */

import {colourOf, cssColour} from '../colormaps.js';
import {el, formatNumber} from '../dom.js';

/**
 * Pixels of an image, ready for a canvas.
 * @typedef {{rgba: Uint8ClampedArray, width: number, height: number}} Picture
 */

/**
 * Turns a probe input (h, w, c) into RGBA pixels. uint8 inputs are used as
 * they are; float inputs are stretched from their min to their max.
 * @param {{data: ArrayLike<number>, shape: !Array<number>}} input
 * @return {?Picture} Null when the input is not an image.
 */
export function pictureFromInput(input) {
  const shape = input.shape;
  if (shape.length < 2 || shape.length > 3) {
    return null;
  }
  const [height, width] = shape;
  const channels = shape.length === 3 ? shape[2] : 1;
  const data = input.data;
  let low = 0;
  let high = 255;
  if (!(data instanceof Uint8Array)) {
    [low, high] = finiteRange(data);
  }
  const span = high - low || 1;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      const value = data[p * channels + (channels >= 3 ? c : 0)];
      rgba[4 * p + c] = ((value - low) / span) * 255;
    }
    rgba[4 * p + 3] = 255;
  }
  return {rgba, width, height};
}

/**
 * Pixels of a 2-D map under a colour scale.
 * @param {ArrayLike<number>} values Row-major (height, width) values.
 * @param {number} width
 * @param {number} height
 * @param {import('../colormaps.js').Scale} scale
 * @return {Picture}
 */
export function pictureFromMap(values, width, height, scale) {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const [r, g, b] = colourOf(scale, values[p]);
    rgba[4 * p] = r;
    rgba[4 * p + 1] = g;
    rgba[4 * p + 2] = b;
    rgba[4 * p + 3] = Number.isFinite(values[p]) ? 255 : 0;
  }
  return {rgba, width, height};
}

function finiteRange(values) {
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (Number.isFinite(value)) {
      low = Math.min(low, value);
      high = Math.max(high, value);
    }
  }
  return low <= high ? [low, high] : [0, 1];
}

function toCanvas(picture) {
  const canvas = document.createElement('canvas');
  canvas.width = picture.width;
  canvas.height = picture.height;
  const image = new ImageData(picture.rgba, picture.width, picture.height);
  canvas.getContext('2d').putImageData(image, 0, 0);
  return canvas;
}

/**
 * Display size of a picture whose longest side becomes `size` pixels.
 * @param {number} width
 * @param {number} height
 * @param {number} size
 * @return {!Array<number>} [width, height] in CSS pixels.
 */
export function fitSize(width, height, size) {
  const factor = size / Math.max(width, height, 1);
  return [Math.max(1, Math.round(width * factor)),
    Math.max(1, Math.round(height * factor))];
}

/**
 * Draws pictures on top of each other onto a canvas, scaled to `size`.
 * Small pictures are scaled without smoothing so each value stays a block.
 * @param {!HTMLCanvasElement} canvas
 * @param {!Array<{picture: Picture, alpha: number}>} layers Bottom first.
 * @param {number} size Longest side in CSS pixels.
 */
export function drawLayers(canvas, layers, size) {
  const first = layers[0].picture;
  const [width, height] = fitSize(first.width, first.height, size);
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const context = canvas.getContext('2d');
  context.clearRect(0, 0, canvas.width, canvas.height);
  for (const {picture, alpha} of layers) {
    context.imageSmoothingEnabled = picture.width > 96;
    context.globalAlpha = alpha;
    context.drawImage(toCanvas(picture), 0, 0, canvas.width, canvas.height);
  }
  context.globalAlpha = 1;
}

/**
 * A horizontal colour bar with its numbers (min, middle, max).
 * @param {import('../colormaps.js').Scale} scale
 * @param {string} caption What the colours stand for.
 * @return {!HTMLElement}
 */
export function colourBar(scale, caption) {
  const canvas = el('canvas', {
    className: 'colour-bar-canvas',
    attrs: {width: 256, height: 1, 'aria-hidden': 'true'},
  });
  const context = canvas.getContext('2d');
  for (let x = 0; x < 256; x++) {
    const value = scale.min + ((scale.max - scale.min) * x) / 255;
    context.fillStyle = cssColour(scale, value);
    context.fillRect(x, 0, 1, 1);
  }
  const middle = (scale.min + scale.max) / 2;
  return el('figure', {className: 'colour-bar'}, [
    canvas,
    el('div', {className: 'colour-bar-ticks'}, [
      el('span', {text: formatNumber(scale.min)}),
      el('span', {text: formatNumber(middle)}),
      el('span', {text: formatNumber(scale.max)}),
    ]),
    el('figcaption', {text: `${caption} (${scale.colormap.name})`}),
  ]);
}
