"""The business report (being built): ``build(logdir, run, format, lang)``."""
