"""The loader TensorBoard finds through the ``tensorboard_plugins`` entry point.

It lives in its own module and imports the plugin only in :meth:`load`, so
that TensorBoard can always import it.
"""

from __future__ import annotations

import logging

from tensorboard.plugins import base_plugin

from tb_explain.summary import PLUGIN_NAME

logger = logging.getLogger(__name__)

KEEP_ALL = 0
DEFAULT_CACHE_MB = 96


class ExplainLoader(base_plugin.TBLoader):
    """Loads the Explain plugin and keeps every step of its summaries.

    TensorBoard keeps only 10 (Python loader) or 100 (data server) steps per
    tag unless ``--samples_per_plugin`` says otherwise; the tab needs every
    step, so :meth:`fix_flags` asks for all of them (``0``) when the user gave
    no value for ``explain``. A user's own ``--samples_per_plugin explain=N``
    wins.

    Example:
        ``tensorboard --logdir logs`` keeps every step;
        ``tensorboard --logdir logs --samples_per_plugin explain=5`` keeps 5.
    """

    def define_flags(self, parser) -> None:
        """Adds ``--explain_cache_mb``: the plugin's cache of decoded maps.

        Args:
            parser: TensorBoard's ``argparse.ArgumentParser``.
        """
        parser.add_argument(
            "--explain_cache_mb",
            type=int,
            default=DEFAULT_CACHE_MB,
            help="Memory (MiB) the Explain tab may keep of maps it has read, so "
            "that moving the step slider needs no data-server call; lower it "
            f"for very large logdirs, 0 to keep none. (default: {DEFAULT_CACHE_MB})",
        )

    def fix_flags(self, flags) -> None:
        """Sets ``flags.samples_per_plugin["explain"] = 0`` unless set.

        Also checks ``--explain_cache_mb``.

        Args:
            flags: The parsed ``argparse.Namespace`` of TensorBoard's flags.
        """
        cache = getattr(flags, "explain_cache_mb", DEFAULT_CACHE_MB)
        if isinstance(cache, bool) or not isinstance(cache, int) or cache < 0:
            raise base_plugin.FlagsError(
                f"--explain_cache_mb must be an int >= 0. Received: {cache!r}"
            )
        samples = getattr(flags, "samples_per_plugin", None)
        if not isinstance(samples, dict):
            samples = {}
        if PLUGIN_NAME in samples:
            logger.info(
                "Keeping %s steps per tag for %s, as --samples_per_plugin says",
                samples[PLUGIN_NAME],
                PLUGIN_NAME,
            )
            return
        flags.samples_per_plugin = {**samples, PLUGIN_NAME: KEEP_ALL}

    def load(self, context: base_plugin.TBContext):
        """Returns the plugin for ``context``."""
        from tb_explain.plugin.plugin import ExplainPlugin

        return ExplainPlugin(context)
