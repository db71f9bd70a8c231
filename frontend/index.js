/**
 * The Explain tab. TensorBoard's iframe page imports this module and calls
 * render() with no arguments; the page's <base href> is plugin/explain/, so
 * relative URLs reach our routes. This module wires the fetching (api.js) to
 * the DOM builders (views/*.js) and owns the state.
 */

import * as api from './static/api.js';
import {el, errorBox, note, replace, RequestGuard} from './static/dom.js';
import {buildFilters, defaultFilters, filterSamples, Gallery} from
  './static/views/gallery.js';
import {buildGlobalView} from './static/views/global.js';
import {buildReportView} from './static/views/report.js';
import {buildHistory, buildProbabilities, buildSampleView, viewFor} from
  './static/views/sample.js';
import {buildEmptyState, buildToolbar} from './static/views/shell.js';

/** Methods shown side by side when a run opens (more can be ticked). */
const MAX_SHOWN = 4;

/** The state of the tab, as the user set it. */
class State {
  constructor() {
    this.runs = [];
    this.run = null;
    this.detail = null;
    this.view = 'samples';
    this.step = null;
    this.samples = [];
    this.sample = null;
    this.filters = defaultFilters();
    this.sampleOptions = {methods: [], mode: 'signed', scale: 'shared',
      opacity: 0.6, allFeatures: false};
    this.globalMethod = null;
    this.report = {lang: 'en', format: 'html'};
  }
}

/** Wires state, fetching and views together. */
class App {
  constructor(root) {
    this.root = root;
    this.state = new State();
    this.inputs = new Map();
    this.histories = new Map();
    this.reportUrl = null;
    this.guards = {
      runs: new RequestGuard(), run: new RequestGuard(),
      samples: new RequestGuard(), sample: new RequestGuard(),
      history: new RequestGuard(), global: new RequestGuard(),
      report: new RequestGuard(),
    };
    this.toolbar = el('div', {className: 'toolbar-slot'});
    this.message = el('div', {className: 'message-slot'});
    this.main = el('main', {className: 'view-slot'});
    this.gallery = new Gallery({
      onSelect: (index) => this.selectSample(index),
      loadInput: (index) => this.loadInput(this.state.run.run, index),
    });
    this.filterSlot = el('div', {className: 'filter-slot'});
    this.sampleSlot = el('div', {className: 'sample-slot'});
    this.sideSlot = el('aside', {className: 'side-slot'});
    this.probabilitySlot = el('div');
    this.historySlot = el('div');
    replace(this.sideSlot, [this.probabilitySlot, this.historySlot]);
    this.samplesView = el('div', {className: 'samples-layout'}, [
      el('div', {className: 'gallery-pane'}, [this.filterSlot, this.gallery.element]),
      el('div', {className: 'detail-pane'}, [this.sampleSlot, this.sideSlot]),
    ]);
    replace(root, [this.toolbar, this.message, this.main]);
  }

  /** Loads the runs, keeping the current run when it still exists. */
  async loadRuns() {
    const token = this.guards.runs.next();
    replace(this.message, [note('Loading runs…')]);
    let answer;
    try {
      answer = await api.fetchRuns();
    } catch (error) {
      if (this.guards.runs.isCurrent(token)) {
        this.renderToolbar();
        replace(this.message, [errorBox(error, 'Could not list runs')]);
      }
      return;
    }
    if (!this.guards.runs.isCurrent(token)) {
      return;
    }
    replace(this.message, []);
    this.state.runs = Array.isArray(answer.runs) ? answer.runs : [];
    if (!this.state.runs.length) {
      this.state.run = null;
      this.renderToolbar();
      replace(this.main, [buildEmptyState()]);
      return;
    }
    const keep = this.state.run &&
      this.state.runs.find((r) => r.run === this.state.run.run);
    this.setRun(keep || this.state.runs[0], Boolean(keep));
  }

  setRun(run, keepSelection) {
    const state = this.state;
    if (!keepSelection) {
      state.step = null;
      state.sample = null;
      state.filters = defaultFilters();
      state.globalMethod = null;
      state.detail = null;
    }
    state.run = run;
    const keys = (run.methods || []).map((m) => m.key);
    const kept = keepSelection ?
      state.sampleOptions.methods.filter((k) => keys.includes(k)) : [];
    state.sampleOptions.methods = kept.length ? kept : keys.slice(0, MAX_SHOWN);
    if (state.step !== null && !(run.steps || []).includes(state.step)) {
      state.step = null;
    }
    this.renderToolbar();
    this.showRunErrors();
    this.loadDetail();
    this.renderView();
  }

  showRunErrors() {
    const errors = (this.state.run && this.state.run.errors) || [];
    replace(this.message, errors.map((text) =>
      errorBox(text, 'Part of this run could not be read')));
  }

  renderToolbar() {
    const state = this.state;
    replace(this.toolbar, [buildToolbar({
      runs: state.runs, run: state.run, view: state.view, step: state.step,
      stepInfo: (state.detail && state.detail.step_info) || {},
    }, {
      onRun: (name) => this.setRun(state.runs.find((r) => r.run === name), false),
      onView: (view) => {
        state.view = view;
        this.renderToolbar();
        this.renderView();
      },
      onStep: (step) => this.setStep(step),
      onRefresh: () => this.refresh(),
    })]);
  }

  /** Loads the run route (epochs for the step slider, logs). */
  async loadDetail() {
    const token = this.guards.run.next();
    const run = this.state.run.run;
    try {
      const detail = await api.fetchRun(run);
      if (this.guards.run.isCurrent(token)) {
        this.state.detail = detail;
        this.renderToolbar();
      }
    } catch (error) {
      if (this.guards.run.isCurrent(token)) {
        this.state.detail = {error};
      }
    }
  }

  setStep(step) {
    this.state.step = step;
    this.renderToolbar();
    this.renderView();
  }

  refresh() {
    this.inputs.clear();
    this.histories.clear();
    this.loadRuns();
  }

  renderView() {
    if (!this.state.run) {
      return;
    }
    // Whatever any view was still loading is stale now.
    for (const name of ['samples', 'sample', 'history', 'global', 'report']) {
      this.guards[name].next();
    }
    if (this.state.view === 'global') {
      this.loadGlobal();
    } else if (this.state.view === 'report') {
      this.loadReport();
    } else {
      replace(this.main, [this.samplesView]);
      this.loadSamples();
    }
  }

  // ---------------------------------------------------------------- samples

  async loadSamples() {
    const token = this.guards.samples.next();
    const {run, step} = this.state;
    let answer;
    try {
      answer = await api.fetchSamples(run.run, step);
    } catch (error) {
      if (this.guards.samples.isCurrent(token)) {
        replace(this.filterSlot, [errorBox(error, 'Could not load samples')]);
        replace(this.gallery.element, []);
      }
      return;
    }
    if (!this.guards.samples.isCurrent(token)) {
      return;
    }
    this.state.samples = answer.samples || [];
    this.renderGallery();
    const shown = filterSamples(this.state.samples, this.state.filters);
    if (this.state.sample === null && shown.length) {
      this.selectSample(shown[0].index);
    } else if (this.state.sample !== null) {
      this.loadSample();
    } else {
      replace(this.sampleSlot, [note('No sample to show.')]);
    }
  }

  renderGallery() {
    const {run, samples, filters, sample} = this.state;
    replace(this.filterSlot, [buildFilters(run, filters, (next) => {
      this.state.filters = next;
      this.renderGallery();
    })]);
    this.gallery.show(run, filterSamples(samples, filters), sample,
      samples.length);
  }

  selectSample(index) {
    this.state.sample = index;
    this.gallery.select(index);
    this.loadSample();
    this.loadHistory();
  }

  /**
   * A sample's probe input, fetched once per refresh.
   * @param {string} run
   * @param {number} index
   * @return {Promise<!Object>}
   */
  loadInput(run, index) {
    const key = `${run}\u0000${index}`;
    if (!this.inputs.has(key)) {
      const promise = api.fetchInput(run, index);
      promise.catch(() => this.inputs.delete(key));
      this.inputs.set(key, promise);
    }
    return this.inputs.get(key);
  }

  async loadSample() {
    const token = this.guards.sample.next();
    const {run, step, sample: index} = this.state;
    const options = this.state.sampleOptions;
    if (!this.sampleSlot.firstChild) {
      replace(this.sampleSlot, [note('Loading the explanation…')]);
    }
    const sampleRequest = api.fetchSample(run.run, index, step);
    const inputRequest = this.loadInput(run.run, index);
    const maps = await fetchMaps(run, index, step, options, sampleRequest);
    let sample;
    let input = null;
    let inputError = null;
    try {
      sample = await sampleRequest;
    } catch (error) {
      if (this.guards.sample.isCurrent(token)) {
        replace(this.sampleSlot, [errorBox(error, 'Could not load the sample')]);
        replace(this.probabilitySlot, []);
      }
      return;
    }
    try {
      input = await inputRequest;
    } catch (error) {
      inputError = error;
    }
    if (!this.guards.sample.isCurrent(token)) {
      return;
    }
    const view = buildSampleView({run, sample, input, inputError, maps, options},
      {onOptions: (patch, flags = {}) => this.setSampleOptions(patch, flags)});
    replace(this.sampleSlot, [view.element]);
    replace(this.probabilitySlot, [buildProbabilities(run, sample)]);
    this.renderHistory();
  }

  setSampleOptions(patch, flags) {
    Object.assign(this.state.sampleOptions, patch);
    if (!flags.quiet) {
      this.loadSample();
    }
  }

  async loadHistory() {
    const token = this.guards.history.next();
    const {run, sample} = this.state;
    const key = `${run.run}\u0000${sample}`;
    if (!this.histories.has(key)) {
      replace(this.historySlot, [note('Loading the history…')]);
      try {
        this.histories.set(key, await api.fetchHistory(run.run, sample));
      } catch (error) {
        if (this.guards.history.isCurrent(token)) {
          replace(this.historySlot, [errorBox(error, 'Could not load history')]);
        }
        return;
      }
    }
    if (this.guards.history.isCurrent(token)) {
      this.renderHistory();
    }
  }

  renderHistory() {
    const {run, sample, step} = this.state;
    const history = this.histories.get(`${run.run}\u0000${sample}`);
    if (history) {
      const steps = run.steps || [];
      const shown = step === null ? steps[steps.length - 1] : step;
      replace(this.historySlot, [buildHistory(run, history, shown ?? null,
        (picked) => this.setStep(picked))]);
    }
  }

  // ----------------------------------------------------------------- global

  async loadGlobal() {
    const token = this.guards.global.next();
    const {run, step} = this.state;
    const methods = run.methods || [];
    if (!methods.some((m) => m.key === this.state.globalMethod)) {
      this.state.globalMethod = methods.length ? methods[0].key : null;
    }
    replace(this.main, [note('Loading the global view…')]);
    if (!this.state.globalMethod) {
      replace(this.main, [note('This run has no attribution methods.')]);
      return;
    }
    const settle = (promise) => promise.catch((error) => ({error}));
    const [global, quality, detail] = await Promise.all([
      settle(api.fetchGlobal(run.run, this.state.globalMethod, step)),
      settle(api.fetchQuality(run.run)),
      this.state.detail ? Promise.resolve(this.state.detail) :
        settle(api.fetchRun(run.run)),
    ]);
    if (!this.guards.global.isCurrent(token)) {
      return;
    }
    replace(this.main, [buildGlobalView(
      {run, method: this.state.globalMethod, global, quality, detail},
      {onMethod: (key) => {
        this.state.globalMethod = key;
        this.loadGlobal();
      }})]);
  }

  // ----------------------------------------------------------------- report

  async loadReport() {
    const token = this.guards.report.next();
    const {run, report} = this.state;
    // Name the step explicitly: the preview, the download and its file name
    // then all agree on it, even while training adds steps.
    const steps = run.steps || [];
    const step = this.state.step ?? (steps.length ? steps[steps.length - 1] : null);
    const query = (format) => ({run: run.run, format, lang: report.lang, step});
    let saved = null;
    const point = () => {
      if (report.format === 'html' && saved) {
        view.setDownload(saved.url, saved.filename || '');
      } else {
        view.setDownload(api.reportUrl(query(report.format)));
      }
    };
    const view = buildReportView({
      run, step, lang: report.lang, format: report.format,
      downloadUrl: api.reportUrl(query(report.format)),
    }, {onChange: (patch) => {
      Object.assign(report, patch);
      if (patch.lang) {
        this.loadReport();
      } else {
        point();
      }
    }});
    replace(this.main, [view.element]);
    view.showLoading();
    this.releaseReport();
    try {
      const answer = await api.fetchReport(query('html'));
      if (!this.guards.report.isCurrent(token)) {
        return;
      }
      view.showPreview(answer.text);
      // The HTML download is the preview itself: no second build.
      const blob = new Blob([answer.text], {type: answer.type});
      saved = {url: URL.createObjectURL(blob), filename: answer.filename};
      this.reportUrl = saved.url;
      point();
    } catch (error) {
      if (this.guards.report.isCurrent(token)) {
        view.showError(error);
      }
    }
  }

  releaseReport() {
    if (this.reportUrl) {
      URL.revokeObjectURL(this.reportUrl);
      this.reportUrl = null;
    }
  }
}

/**
 * Fetches the maps of the methods shown, in parallel with the sample.
 * @return {Promise<!Object<string, !Object>>} Per method key: {data, shape}
 *     or {error}.
 */
async function fetchMaps(run, index, step, options, sampleRequest) {
  const maps = {};
  await Promise.all(options.methods.map(async (key) => {
    const method = (run.methods || []).find((m) => m.key === key) || {key};
    try {
      // Only the abs view depends on the sample's list of views.
      const view = options.mode === 'abs' ?
        viewFor(await viewsOf(sampleRequest, method), 'abs') : 'signed';
      maps[key] = await api.fetchMap(
        {run: run.run, method: key, sample: index, step, view});
    } catch (error) {
      maps[key] = {error};
    }
  }));
  return maps;
}

async function viewsOf(sampleRequest, method) {
  if (method.views) {
    return method;
  }
  try {
    const sample = await sampleRequest;
    return sample.methods.find((m) => m.key === method.key) || method;
  } catch (error) {
    return method;
  }
}

function addStylesheet() {
  if (document.querySelector('link[data-explain-style]')) {
    return;
  }
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = 'static/style.css';
  link.dataset.explainStyle = '';
  document.head.append(link);
}

/**
 * Renders the Explain tab into the page (called by TensorBoard's iframe page
 * with no arguments).
 * @return {Promise<void>} Resolves once the run list has been loaded.
 */
export async function render() {
  addStylesheet();
  document.title = 'Explain';
  const root = el('div', {className: 'explain-app', attrs: {id: 'explain-app'}});
  document.body.replaceChildren(root);
  const app = new App(root);
  await app.loadRuns();
}
