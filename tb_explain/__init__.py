"""tb_explain: explain Keras models while they train.

The public API:

- :func:`attribute`: attributions of a model's output for a batch of inputs;
- :class:`Method`: a method name with its options, for the callback;
- :class:`ExplainCallback`: explains a fixed probe set during ``model.fit``
  and writes TensorBoard summaries for the Explain tab;
- :mod:`tb_explain.quality`: how far an explanation can be trusted;
- :mod:`tb_explain.report`: ``report.build(logdir)``, the business report.

Names are imported on first use, so that TensorBoard loading the plugin (or
the command line reading a logdir) does not pay for importing TensorFlow.
"""

import importlib

from tb_explain._version import __version__

_LAZY = {
    "attribute": ("tb_explain.methods", "attribute"),
    "Method": ("tb_explain.methods", "Method"),
    "METHOD_NAMES": ("tb_explain.methods", "METHOD_NAMES"),
    "ExplainCallback": ("tb_explain.callbacks", "ExplainCallback"),
    "quality": ("tb_explain.quality", None),
    "report": ("tb_explain.report", None),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'tb_explain' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
