/**
 * The report view: language and format, a preview of the HTML report in a
 * sandboxed iframe, and a download of the chosen format.
 */

import {el, errorBox, note, replace} from '../dom.js';
import {select} from './widgets.js';

/** Report languages offered: value and label. */
export const LANGUAGES = [
  {value: 'en', label: 'English'},
  {value: 'zh', label: '简体中文'},
];

/** Report formats offered: value and label. */
export const FORMATS = [
  {value: 'html', label: 'HTML (self-contained)'},
  {value: 'json', label: 'JSON (facts, versioned)'},
  {value: 'markdown', label: 'Markdown (zip with images)'},
];

/**
 * Builds the report view.
 * @param {{run: !Object, step: ?number, lang: string, format: string,
 *     downloadUrl: string}} model downloadUrl: the report route for the
 *     chosen run, step, language and format.
 * @param {{onChange: function(!Object)}} handlers Called with {lang} or
 *     {format}.
 * @return {{element: !HTMLElement, showPreview: function(string),
 *     showError: function(*), showLoading: function(),
 *     setDownload: function(string, string=)}} setDownload points the
 *     download at a URL, with a file name ('' keeps the server's).
 */
export function buildReportView(model, handlers) {
  const download = el('a', {
    className: 'button primary download',
    text: 'Download report',
    attrs: {href: model.downloadUrl, download: '', role: 'button'},
  });
  const frame = el('iframe', {
    className: 'report-frame',
    attrs: {sandbox: '', title: 'Report preview', referrerpolicy: 'no-referrer'},
  });
  const status = el('div', {className: 'report-status', attrs: {'aria-live':
    'polite'}});
  const element = el('div', {className: 'report-view'}, [
    el('div', {className: 'view-controls'}, [
      select({label: 'Language', options: LANGUAGES, value: model.lang,
        onChange: (lang) => handlers.onChange({lang})}),
      select({label: 'Format', options: FORMATS, value: model.format,
        onChange: (format) => handlers.onChange({format})}),
      el('span', {className: 'fact', text: model.step === null ?
        'last step' : `step ${model.step}`}),
      download,
    ]),
    status,
    frame,
  ]);
  return {
    element,
    setDownload: (url, filename = '') => {
      download.setAttribute('href', url);
      download.setAttribute('download', filename);
    },
    showLoading: () => replace(status, [note('Building the preview…')]),
    showPreview: (html) => {
      replace(status, []);
      frame.srcdoc = html;
    },
    showError: (error) => {
      replace(status, [errorBox(error, 'Report')]);
      frame.srcdoc = '';
    },
  };
}
