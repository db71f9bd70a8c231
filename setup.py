"""Packaging for tb_explain.

TensorFlow ships as several distributions (``tensorflow``, ``tensorflow-cpu``,
``tensorflow-macos``, ...) that all provide the same ``tensorflow`` module. A
hard requirement on one of them makes pip install a second copy next to the one
a user already has, so TensorFlow is not in ``install_requires``: pick it with
an extra (``pip install "tb_explain[cpu]"`` or ``"tb_explain[gpu]"``) or bring
your own. ``import tb_explain`` says what to do when none is installed.

The top-level ``frontend/`` folder is shipped inside the package as
``tb_explain/frontend`` so that a non-editable install serves it.
"""

import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version():
    """Returns the version string from tb_explain/_version.py."""
    scope = {}
    with open(os.path.join(HERE, "tb_explain", "_version.py"), encoding="utf-8") as f:
        exec(f.read(), scope)
    return scope["__version__"]


def read_readme():
    """Returns the README as the long description."""
    with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
        return f.read()


setup(
    name="tb_explain",
    version=read_version(),
    description=(
        "Explain Keras models while they train: attribution callbacks, "
        "a TensorBoard Explain tab and a business report."
    ),
    long_description=read_readme(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["tb_explain", "tb_explain.*"])
    + ["tb_explain.frontend"],
    package_dir={"tb_explain.frontend": "frontend"},
    package_data={
        "tb_explain.frontend": ["*.js", "*.css", "*.html", "*/*.js", "*/*.css"],
        "tb_explain.report": ["i18n/*.json", "*.css"],
    },
    install_requires=[
        "keras>=3.0",
        "tensorboard>=2.16",
        "numpy>=1.23",
        "werkzeug>=2.0",
        "matplotlib>=3.5",
    ],
    extras_require={
        "cpu": ["tensorflow-cpu>=2.16"],
        "gpu": ["tensorflow[and-cuda]>=2.16"],
        "test": [
            "pytest>=7",
            "scikit-learn>=1.2",
            "playwright>=1.40",
            "ruff>=0.4",
            "setuptools>=61",
            "wheel",
        ],
    },
    entry_points={
        "tensorboard_plugins": [
            "explain = tb_explain.plugin.loader:ExplainLoader",
        ],
        "console_scripts": [
            "tb-explain = tb_explain.cli:main",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Framework :: TensorFlow",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
