"""The Explain tab: a TensorBoard plugin for the explain summaries.

- :mod:`tb_explain.plugin.loader`: the ``TBLoader`` TensorBoard finds through
  the ``tensorboard_plugins`` entry point; it keeps every step of our plugin;
- :mod:`tb_explain.plugin.plugin`: the ``TBPlugin`` and its thin HTTP routes;
- :mod:`tb_explain.plugin.views`: the pure functions behind the routes;
- :mod:`tb_explain.plugin.data`: request-scoped reading with a bounded cache;
- :mod:`tb_explain.plugin.params`: query-parameter parsing;
- :mod:`tb_explain.plugin.assets`: where the frontend files are.

Importing this package imports neither TensorFlow nor Keras.
"""

from tb_explain.summary import PLUGIN_NAME

__all__ = ["PLUGIN_NAME"]
