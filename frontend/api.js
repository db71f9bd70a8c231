/**
 * Fetching for the Explain tab: one function per route, relative URLs.
 *
 * The page lives at /data/plugin_entry.html with <base href="plugin/explain/">,
 * so 'runs' resolves to /data/plugin/explain/runs. Errors come back from the
 * server as plain text (status 400/404); they are thrown as ApiError with that
 * text so that each view can show it.
 */

/** An HTTP or network failure, carrying the server's own text. */
export class ApiError extends Error {
  /**
   * @param {string} message The server's text or the network error.
   * @param {number} status HTTP status, 0 for a network failure.
   * @param {string} url The URL that failed.
   */
  constructor(message, status, url) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.url = url;
  }
}

const TYPED = {
  float32: Float32Array,
  float16: null,
  uint8: Uint8Array,
  int32: Int32Array,
  float64: Float64Array,
};

/**
 * Builds a relative route URL.
 * @param {string} route Route name, e.g. 'sample'.
 * @param {Object<string, (string|number|null|undefined)>=} params Query
 *     parameters; null and undefined are left out.
 * @return {string}
 */
export function routeUrl(route, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) {
      query.set(key, String(value));
    }
  }
  const text = query.toString();
  return text ? `${route}?${text}` : route;
}

async function request(route, params, signal) {
  const url = routeUrl(route, params);
  let response;
  try {
    response = await fetch(url, {signal, credentials: 'same-origin'});
  } catch (error) {
    if (error.name === 'AbortError') {
      throw error;
    }
    throw new ApiError(`Network error: ${error.message}`, 0, url);
  }
  if (!response.ok) {
    const text = readableText(await response.text(),
      response.headers.get('Content-Type') || '');
    throw new ApiError(
      `${response.status} ${response.statusText}: ${text || 'no details'}`,
      response.status,
      url,
    );
  }
  return response;
}

/**
 * The text of an error body; an HTML page (a server's 500 page) is parsed
 * inertly and reduced to its text.
 * @param {string} body
 * @param {string} contentType
 * @return {string}
 */
function readableText(body, contentType) {
  if (!contentType.includes('html')) {
    return body.trim();
  }
  const parsed = new DOMParser().parseFromString(body, 'text/html');
  return (parsed.body ? parsed.body.textContent : body)
    .replace(/\s+/g, ' ').trim();
}

/**
 * Fetches a JSON route.
 * @param {string} route Route name.
 * @param {Object=} params Query parameters.
 * @param {AbortSignal=} signal Optional abort signal.
 * @return {Promise<*>} The parsed body; numbers may be the strings 'NaN',
 *     'Infinity' or '-Infinity': read them with toNumber().
 */
export async function getJson(route, params = {}, signal = undefined) {
  const response = await request(route, params, signal);
  return response.json();
}

/**
 * Fetches a binary route (little-endian typed array plus X-Shape/X-Dtype).
 * @param {string} route Route name.
 * @param {Object=} params Query parameters.
 * @param {AbortSignal=} signal Optional abort signal.
 * @return {Promise<{data: (Float32Array|Uint8Array|Int32Array),
 *     shape: !Array<number>, dtype: string, step: ?number}>}
 */
export async function getArray(route, params = {}, signal = undefined) {
  const response = await request(route, params, signal);
  const buffer = await response.arrayBuffer();
  const dtype = (response.headers.get('X-Dtype') || 'float32').trim();
  const shapeText = (response.headers.get('X-Shape') || '').trim();
  const shape = shapeText ? shapeText.split(',').map((s) => Number(s)) : [];
  const stepText = response.headers.get('X-Step');
  const step = stepText === null ? null : Number(stepText);
  return {data: decodeArray(buffer, dtype), shape, dtype, step};
}

/**
 * Decodes little-endian bytes into a typed array, whatever the host order.
 * @param {ArrayBuffer} buffer Raw bytes.
 * @param {string} dtype 'float32', 'float16', 'uint8', 'int32' or 'float64'.
 * @return {(Float32Array|Uint8Array|Int32Array|Float64Array)}
 */
export function decodeArray(buffer, dtype) {
  if (dtype === 'uint8') {
    return new Uint8Array(buffer);
  }
  if (!(dtype in TYPED)) {
    throw new ApiError(`Unsupported dtype ${dtype}`, 0, '');
  }
  const view = new DataView(buffer);
  if (dtype === 'float16') {
    const out = new Float32Array(buffer.byteLength / 2);
    for (let i = 0; i < out.length; i++) {
      out[i] = halfToFloat(view.getUint16(2 * i, true));
    }
    return out;
  }
  const Type = TYPED[dtype];
  const out = new Type(buffer.byteLength / Type.BYTES_PER_ELEMENT);
  const getter = {
    float32: 'getFloat32',
    int32: 'getInt32',
    float64: 'getFloat64',
  }[dtype];
  for (let i = 0; i < out.length; i++) {
    out[i] = view[getter](i * Type.BYTES_PER_ELEMENT, true);
  }
  return out;
}

function halfToFloat(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) {
    return sign * 2 ** -14 * (fraction / 1024);
  }
  if (exponent === 0x1f) {
    return fraction ? NaN : sign * Infinity;
  }
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Reads a JSON number that may be encoded as 'NaN', 'Infinity' or
 * '-Infinity' (TensorBoard's JSON helpers write non-finite floats so).
 * @param {*} value A number, one of those strings, or null.
 * @return {number} NaN for null or anything unreadable.
 */
export function toNumber(value) {
  if (typeof value === 'number') {
    return value;
  }
  if (value === 'Infinity') {
    return Infinity;
  }
  if (value === '-Infinity') {
    return -Infinity;
  }
  if (typeof value === 'string' && value.trim() !== '') {
    return Number(value);
  }
  return NaN;
}

/**
 * Reads an array of JSON numbers (see toNumber).
 * @param {?Array<*>} values
 * @return {!Array<number>}
 */
export function toNumbers(values) {
  return Array.isArray(values) ? values.map(toNumber) : [];
}

/** @return {Promise<{runs: !Array<!Object>}>} The runs route. */
export function fetchRuns() {
  return getJson('runs');
}

/**
 * @param {string} run
 * @return {Promise<!Object>} config, model, steps, logs, step_info.
 */
export function fetchRun(run) {
  return getJson('run', {run});
}

/**
 * @param {string} run
 * @param {?number} step Null for the last step.
 * @return {Promise<!Object>} {step, steps, samples}.
 */
export function fetchSamples(run, step) {
  return getJson('samples', {run, step});
}

/**
 * @param {string} run
 * @param {number} sample Probe index.
 * @param {?number} step Null for the last step.
 * @return {Promise<!Object>} One sample's explanation.
 */
export function fetchSample(run, sample, step) {
  return getJson('sample', {run, sample, step});
}

/**
 * @param {{run: string, method: string, sample: number, step: ?number,
 *     input: ?number, view: string}} query
 * @return {Promise<!Object>} A float32 map with its shape.
 */
export function fetchMap(query) {
  return getArray('map', query);
}

/**
 * @param {string} run
 * @param {number} sample
 * @param {?number=} input Input index for models with several inputs.
 * @return {Promise<!Object>} The probe input (uint8, float32 or int32).
 */
export function fetchInput(run, sample, input = null) {
  return getArray('input', {run, sample, input});
}

/**
 * @param {string} run
 * @param {number} sample
 * @return {Promise<!Object>} Prediction and attribution sums per step.
 */
export function fetchHistory(run, sample) {
  return getJson('history', {run, sample});
}

/**
 * @param {string} run
 * @param {string} method
 * @param {?number} step
 * @param {?number=} input
 * @return {Promise<!Object>} Importance rows, weights, weight pictures.
 */
export function fetchGlobal(run, method, step, input = null) {
  return getJson('global', {run, method, step, input});
}

/**
 * @param {string} run
 * @return {Promise<!Object>} Probe-level quality figures per step.
 */
export function fetchQuality(run) {
  return getJson('quality', {run});
}

/**
 * The report route's URL (a download with Content-Disposition).
 * @param {{run: string, format: string, lang: string, step: ?number}} query
 * @return {string}
 */
export function reportUrl(query) {
  return routeUrl('report', query);
}

/**
 * Fetches a report: its text and the file name the server gives it.
 * @param {{run: string, format: string, lang: string, step: ?number}} query
 * @param {AbortSignal=} signal
 * @return {Promise<{text: string, type: string, filename: ?string}>}
 */
export async function fetchReport(query, signal = undefined) {
  const response = await request('report', query, signal);
  return {
    text: await response.text(),
    type: response.headers.get('Content-Type') || 'text/html',
    filename: attachmentName(response.headers.get('Content-Disposition')),
  };
}

/**
 * The file name in a Content-Disposition header (RFC 6266: filename* wins).
 * @param {?string} header
 * @return {?string}
 */
export function attachmentName(header) {
  if (!header) {
    return null;
  }
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (extended) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch (error) {
      // Fall through to the plain filename.
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/i.exec(header);
  return plain ? (plain[1] ?? plain[2]).trim() : null;
}
