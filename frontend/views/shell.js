/**
 * The frame of the tab: toolbar (run, view tabs, step, refresh) and the
 * empty state.
 */

import {el} from '../dom.js';
import {slider} from './widgets.js';

/** The views of the tab: value and label. */
export const VIEWS = [
  {value: 'samples', label: 'Samples'},
  {value: 'global', label: 'Global'},
  {value: 'report', label: 'Report'},
];

/**
 * Builds the toolbar.
 * @param {{runs: !Array<!Object>, run: ?Object, view: string, step: ?number,
 *     stepInfo: !Object}} model step: null for the last step; stepInfo: the
 *     run route's step_info (may be empty).
 * @param {{onRun: function(string), onView: function(string),
 *     onStep: function(number), onRefresh: function()}} handlers
 * @return {!HTMLElement}
 */
export function buildToolbar(model, handlers) {
  const runSelect = el('select', {
    attrs: {'aria-label': 'Run', id: 'run-select'},
    on: {change: (event) => handlers.onRun(event.target.value)},
  });
  for (const run of model.runs) {
    const option = el('option', {text: run.run, attrs: {value: run.run}});
    option.selected = model.run !== null && run.run === model.run.run;
    runSelect.append(option);
  }
  const tabs = el('div', {className: 'tabs', attrs: {role: 'tablist'}},
    VIEWS.map((view) => el('button', {
      className: 'tab',
      text: view.label,
      attrs: {type: 'button', role: 'tab', 'data-view': view.value,
        'aria-selected': view.value === model.view ? 'true' : 'false'},
      on: {click: () => handlers.onView(view.value)},
    })));
  return el('div', {className: 'toolbar'}, [
    el('label', {className: 'control'}, [
      el('span', {className: 'control-label', text: 'Run'}), runSelect,
    ]),
    model.run ? runFacts(model.run) : null,
    tabs,
    model.run ? stepSlider(model, handlers) : null,
    el('button', {
      className: 'button refresh',
      text: '↻ Refresh',
      attrs: {type: 'button', title: 'Reload runs and data'},
      on: {click: handlers.onRefresh},
    }),
  ]);
}

function runFacts(run) {
  const methods = (run.methods || []).length;
  return el('span', {className: 'run-facts', text:
    `${run.modality} · ${run.task} · ${run.probe_count} probe samples · ` +
    `${methods} method${methods === 1 ? '' : 's'}`});
}

function stepSlider(model, handlers) {
  const steps = model.run.steps || [];
  if (!steps.length) {
    return el('span', {className: 'fact', text: 'no steps yet'});
  }
  const current = model.step === null ? steps.length - 1 :
    Math.max(0, steps.indexOf(model.step));
  const describe = (i) => {
    const info = model.stepInfo[String(steps[i])] || {};
    const epoch = info.epoch === undefined ? '' : ` · epoch ${info.epoch}`;
    return `${steps[i]}${epoch} (${i + 1}/${steps.length})`;
  };
  return slider({
    label: 'Step',
    min: 0, max: steps.length - 1, step: 1, value: current,
    format: describe,
    onInput: () => {},
    onChange: (i) => handlers.onStep(steps[i]),
    className: 'control slider step-slider',
  });
}

/**
 * The empty state: what to do to get data.
 * @return {!HTMLElement}
 */
export function buildEmptyState() {
  const code = [
    'import tb_explain as tbe',
    'callback = tbe.ExplainCallback(log_dir="logs/run1", ' +
      'probe=(x_val[:64], y_val[:64]))',
    'model.fit(x, y, epochs=5, callbacks=[callback])',
  ].join('\n');
  return el('div', {className: 'empty-state'}, [
    el('h2', {text: 'No explanations in this logdir yet'}),
    el('p', {text: 'Add the callback to your training, then press Refresh:'}),
    el('pre', {className: 'code'}, [el('code', {text: code})]),
    el('p', {className: 'note', text: 'Start TensorBoard on the parent folder ' +
      '(tensorboard --logdir logs); the callback writes under logs/run1/explain.'}),
  ]);
}
