/**
 * Colour maps shared by every view: matplotlib's 'RdBu_r' (diverging, for
 * signed attributions: negative blue, zero white, positive red) and
 * 'viridis' (sequential, for absolute attributions and importance). The
 * report draws with the same two maps so that both read the same.
 */

const DIVERGING_STOPS = [
  '#053061', '#2166ac', '#4393c3', '#92c5de', '#d1e5f0', '#f7f7f7',
  '#fddbc7', '#f4a582', '#d6604d', '#b2182b', '#67001f',
];

const SEQUENTIAL_STOPS = [
  '#440154', '#482878', '#3e4989', '#31688e', '#26828e',
  '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725',
];

function hexToRgb(hex) {
  const value = parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

function buildLut(stops) {
  const rgb = stops.map(hexToRgb);
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const position = (i / 255) * (rgb.length - 1);
    const low = Math.min(Math.floor(position), rgb.length - 2);
    const frac = position - low;
    for (let c = 0; c < 3; c++) {
      lut[3 * i + c] = rgb[low][c] + (rgb[low + 1][c] - rgb[low][c]) * frac;
    }
  }
  return lut;
}

/**
 * A colour map: a 256-entry RGB lookup table.
 * @typedef {{name: string, lut: Uint8ClampedArray, diverging: boolean}} Colormap
 */

/** The diverging map for signed values. @type {Colormap} */
export const DIVERGING = {
  name: 'RdBu_r',
  lut: buildLut(DIVERGING_STOPS),
  diverging: true,
};

/** The sequential map for non-negative values. @type {Colormap} */
export const SEQUENTIAL = {
  name: 'viridis',
  lut: buildLut(SEQUENTIAL_STOPS),
  diverging: false,
};

/**
 * A scale from values to positions in a colour map.
 * @typedef {{colormap: Colormap, min: number, max: number}} Scale
 */

/**
 * Builds the one scale shared by several maps: symmetric around zero for the
 * diverging map, from zero for the sequential one.
 * @param {!Array<(Float32Array|!Array<number>)>} arrays The values shown.
 * @param {boolean} signed Whether the values are signed.
 * @return {Scale}
 */
export function sharedScale(arrays, signed) {
  let largest = 0;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      const magnitude = Math.abs(values[i]);
      if (Number.isFinite(magnitude) && magnitude > largest) {
        largest = magnitude;
      }
    }
  }
  if (largest === 0) {
    largest = 1;
  }
  return signed ?
    {colormap: DIVERGING, min: -largest, max: largest} :
    {colormap: SEQUENTIAL, min: 0, max: largest};
}

/**
 * The RGB colour of one value under a scale (NaN gives grey).
 * @param {Scale} scale
 * @param {number} value
 * @return {!Array<number>} [r, g, b] in 0..255.
 */
export function colourOf(scale, value) {
  if (!Number.isFinite(value)) {
    return [128, 128, 128];
  }
  const span = scale.max - scale.min || 1;
  const t = Math.min(1, Math.max(0, (value - scale.min) / span));
  const i = Math.round(t * 255);
  const lut = scale.colormap.lut;
  return [lut[3 * i], lut[3 * i + 1], lut[3 * i + 2]];
}

/**
 * A CSS colour string for one value under a scale.
 * @param {Scale} scale
 * @param {number} value
 * @param {number=} alpha Opacity 0..1.
 * @return {string}
 */
export function cssColour(scale, value, alpha = 1) {
  const [r, g, b] = colourOf(scale, value);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/**
 * A CSS colour that stays readable on top of cssColour(scale, value).
 * @param {Scale} scale
 * @param {number} value
 * @return {string}
 */
export function textColourOn(scale, value) {
  const [r, g, b] = colourOf(scale, value);
  const luminance = 0.299 * r + 0.587 * g + 0.114 * b;
  return luminance > 140 ? '#111' : '#fff';
}
