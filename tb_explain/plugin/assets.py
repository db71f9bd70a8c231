"""Finds and serves the frontend files (ES modules and CSS, no build step).

An installed package carries them as ``tb_explain/frontend`` (``setup.py``
maps the top-level ``frontend/`` folder there); a source checkout or an
editable install has them in ``frontend/`` beside the package. Plain
``os.path`` finds both; ``importlib.resources`` does not (see
``shared/TENSORBOARD.md``).
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def frontend_dir() -> str | None:
    """The folder holding ``index.js``, or None when none is found.

    Looks inside the installed package first, then beside it in a checkout.
    """
    candidates = (
        os.path.join(_PACKAGE_DIR, "frontend"),
        os.path.join(os.path.dirname(_PACKAGE_DIR), "frontend"),
    )
    for candidate in candidates:
        if os.path.isfile(os.path.join(candidate, "index.js")):
            return candidate
    for candidate in candidates:
        if os.path.isdir(candidate):
            return candidate
    logger.warning("No frontend folder found in %s", candidates)
    return None


def list_files(root: str | None) -> dict[str, str]:
    """The servable files under ``root``: relative POSIX name -> full path.

    Only regular files with a known extension, found by walking ``root``
    itself; links and hidden names are skipped. The result is the whitelist
    the static route serves from, so no request path reaches the file system.
    """
    files = {}
    if root is None:
        return files
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for name in names:
            path = os.path.join(folder, name)
            if name.startswith(".") or os.path.islink(path):
                continue
            if os.path.splitext(name)[1] not in CONTENT_TYPES:
                continue
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            files[relative] = path
    return files


def content_type(name: str) -> str:
    """The content type of a whitelisted file, from its extension."""
    return CONTENT_TYPES[os.path.splitext(name)[1]]
