"""Hostile requests against a real ``tensorboard`` serving the plugin.

Every route gets missing, repeated, empty, huge, negative, NaN, infinite,
fractional and non-numeric parameters, unknown runs, methods, samples, steps,
inputs and views, and path traversal in the forms TensorBoard's own tests use.
Every answer must be a 4xx whose text names the parameter or the value, never
a 5xx and never a byte of a file outside the logdir.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import urllib.parse

import hardening_utils as hu
import pytest

pytestmark = pytest.mark.server

RUN = "images/explain"
METHOD = "smoothgrad"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each route's parameters: kind and a valid value. "text" and "int" may be
# required; a choice is always optional.
ROUTES = {
    "runs": {},
    "run": {"run": ("text", RUN, True)},
    "samples": {"run": ("text", RUN, True), "step": ("int", 5, False)},
    "sample": {
        "run": ("text", RUN, True),
        "sample": ("int", 0, True),
        "step": ("int", 5, False),
    },
    "map": {
        "run": ("text", RUN, True),
        "method": ("text", METHOD, True),
        "sample": ("int", 0, True),
        "step": ("int", 5, False),
        "input": ("int", 0, False),
        "view": ("choice", "abs", False),
    },
    "input": {
        "run": ("text", RUN, True),
        "sample": ("int", 0, True),
        "input": ("int", 0, False),
    },
    "history": {"run": ("text", RUN, True), "sample": ("int", 0, True)},
    "global": {
        "run": ("text", RUN, True),
        "method": ("text", METHOD, True),
        "step": ("int", 5, False),
        "input": ("int", 0, False),
    },
    "quality": {"run": ("text", RUN, True)},
    "report": {
        "run": ("text", RUN, True),
        "format": ("choice", "json", False),
        "lang": ("choice", "en", False),
        "step": ("int", 5, False),
    },
}

HUGE = str(10**30)
LONG_DIGITS = "9" * 5000
LONG_TEXT = "r" * 5000
BAD_INTS = (
    "-1", "-0", "NaN", "nan", "inf", "-inf", "Infinity", "1.5", "0.0", "1e3",
    "abc", "0x10", " 1", "1 ", "+1", "1_000", "\uff11", "\u0663", "\u00b2",
    "1\x00", HUGE, LONG_DIGITS, str(2**31), "None", "true", "[]",
)  # fmt: skip
BAD_CHOICES = ("", "SIGNED", "Html", "x" * 5000, "html\x00", "../etc/passwd", "*")
# Run names that try to leave the logdir, in the forms TensorBoard tests.
TRAVERSAL_RUNS = (
    "../../../../etc/passwd",
    "/etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2fsetup.py",
    "%252e%252e%252fsetup.py",
    "..\\..\\..\\setup.py",
    "images/explain/../../../setup.py",
    "images/explain\x00../../setup.py",
    "images\x00",
    "..",
    ".",
    "images/../images/explain",
    "./images/explain",
    "images/explain/",
    "IMAGES/EXPLAIN",
    "images\\explain",
    "....//....//setup.py",
    "..%c0%af..%c0%afsetup.py",
)
# Raw request paths under the plugin's prefix, sent byte for byte.
TRAVERSAL_PATHS = (
    "static/../../../../../../etc/passwd",
    "static/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "static/%2e%2e%2f%2e%2e%2f%2e%2e%2fsetup.py",
    "static/%2e%2e/%2e%2e/%2e%2e/setup.py",
    "static/%252e%252e%252f%252e%252e%252fsetup.py",
    "static/..%252f..%252fsetup.py",
    "static//etc/passwd",
    "static/%2fetc%2fpasswd",
    "static/..\\..\\..\\setup.py",
    "static/..%5c..%5c..%5csetup.py",
    "static/%00",
    "static/index.js%00",
    "static/index.js%00.png",
    "static/%2e%2e%2f%00",
    "static/....//....//setup.py",
    "static/..%c0%af..%c0%afsetup.py",
    "static/.%2e/.%2e/setup.py",
    "static/../index.js",
    "static/./index.js",
    "static/.hidden.js",
    "static/_private/x.js",
    "static/api.js/../../../setup.py",
    "static/" + "a" * 5000 + ".js",
    "static/setup.py",
    "static/../../../../pyproject.toml",
    "static/%2e%2e%2f%2e%2e%2fpyproject.toml",
    "static/..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "index.js/../../../../setup.py",
    "index.js%2f..%2f..%2fsetup.py",
    "index.js%00",
    "../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/setup.py",
)


@dataclasses.dataclass
class Case:
    """One hostile request: its path and what the answer must be."""

    path: str
    status: int | None  # None: any 4xx (or 200 for an ignored parameter)
    names: str | None  # text the answer's body must contain


COUNTS = collections.Counter()


@pytest.fixture(scope="module")
def hardened(tmp_path_factory, tensorboard_server):
    """``(server, info)`` of the session's hardening server."""
    return hu.hardening_server(tmp_path_factory, tensorboard_server)


@pytest.fixture(scope="module")
def foreign_files(hardened):
    """Contents of files outside the logdir that no answer may hold."""
    _, info = hardened
    contents = []
    for path in ("/etc/passwd", os.path.join(REPO, "setup.py"), info["secret_path"]):
        with open(path, "rb") as handle:
            contents.append(handle.read())
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as handle:
        contents.append(handle.read())
    return contents


def _valid_query(route: str) -> dict:
    return {name: spec[1] for name, spec in ROUTES[route].items()}


def _cases(route: str) -> list[Case]:
    """Every hostile variation of each parameter of ``route``."""
    cases = []
    valid = _valid_query(route)
    for name, (kind, value, required) in ROUTES[route].items():
        query = dict(valid)

        def with_value(v, _name=name, _query=query):
            return hu.route_path(route, **{**_query, _name: v})

        if required:
            cases.append(Case(with_value(None), 400, f"'{name}'"))
        cases.append(Case(with_value([value, value]), 400, f"'{name}'"))
        cases.append(Case(with_value([value, "1"]), 400, f"'{name}'"))
        cases.append(Case(with_value(""), 400, f"'{name}'"))
        if kind == "int":
            cases += [Case(with_value(v), 400, f"'{name}'") for v in BAD_INTS]
        elif kind == "choice":
            cases += [Case(with_value(v), 400, f"'{name}'") for v in BAD_CHOICES]
        else:
            cases.append(Case(with_value(LONG_TEXT), 400, f"'{name}'"))
            cases.append(Case(with_value("x" * 1025), 400, f"'{name}'"))
    cases += _unknown_cases(route, valid)
    if not ROUTES[route]:
        # A route without parameters ignores whatever it is given.
        for value in (*TRAVERSAL_RUNS, *BAD_INTS[:8], LONG_TEXT):
            query = {"run": value, "step": value, "sample": [value, value]}
            cases.append(Case(hu.route_path(route, **query), 200, None))
    # Parameters the route does not read are ignored.
    cases.append(Case(hu.route_path(route, **valid, junk=LONG_TEXT), 200, None))
    return cases


def _unknown_cases(route: str, valid: dict) -> list[Case]:
    """Well-formed values naming what the run does not hold: 404."""
    params = ROUTES[route]
    cases = []
    unknown = {
        "run": ["nope/explain", "images", "empty/explain", "notes/explain"],
        "method": ["nope", "SMOOTHGRAD", "grad_cam", hu.HOSTILE_METHOD],
        "sample": [12, 99999, 2**31 - 1],
        "step": [1, 4, 11, 2**31 - 1],
        "input": [1, 7, 2**31 - 1],
    }
    for name, values in unknown.items():
        if name not in params:
            continue
        for value in values:
            text = str(value)
            if name == "input" and route not in ("input", "map", "global"):
                continue
            query = {**valid, name: value}
            cases.append(Case(hu.route_path(route, **query), 404, text))
    if "run" in params:
        for run in TRAVERSAL_RUNS:
            path = hu.route_path(route, **{**valid, "run": run})
            cases.append(Case(path, 404, "run"))
    return cases


def _check(server, case: Case, foreign: list[bytes]) -> str | None:
    """Sends ``case``; returns what is wrong with the answer, or None."""
    status, headers, body = hu.raw_get(server.url, case.path)
    COUNTS["requests"] += 1
    shown = f"{case.path[:160]!r} -> {status} {body[:200]!r}"
    if status >= 500:
        return f"server error: {shown}"
    if not hu.no_foreign_file(body, *foreign):
        return f"foreign file content: {shown}"
    if case.status == 200:
        return None if status == 200 else f"expected 200: {shown}"
    if not 400 <= status < 500:
        return f"expected 4xx: {shown}"
    if case.status is not None and status != case.status:
        return f"expected {case.status}: {shown}"
    if not headers.get("content-type", "").startswith("text/plain"):
        return f"error is not plain text: {shown}"
    text = body.decode("utf-8", "replace")
    if case.names is not None and case.names not in text:
        return f"text does not name {case.names!r}: {shown}"
    return None


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_hostile_parameters_are_4xx_naming_the_parameter(
    hardened, foreign_files, route
):
    server, _ = hardened
    cases = _cases(route)
    failures = [f for f in (_check(server, c, foreign_files) for c in cases) if f]
    COUNTS["inputs"] += len(cases)
    print(f"\n[hardening] route {route}: {len(cases)} hostile inputs tried")
    assert not failures, "\n".join(failures)


def test_path_traversal_never_leaves_the_frontend(hardened, foreign_files):
    server, _ = hardened
    cases = [Case(hu.PREFIX + path, None, None) for path in TRAVERSAL_PATHS]
    cases += [
        Case(f"/data/plugin/explain/static/{path}", None, None)
        for path in ("%2e%2e%2f" * 8 + "etc%2fpasswd", "..%2f" * 8 + "etc/passwd")
    ]
    failures = [f for f in (_check(server, c, foreign_files) for c in cases) if f]
    COUNTS["inputs"] += len(cases)
    print(f"\n[hardening] traversal: {len(cases)} paths tried")
    assert not failures, "\n".join(failures)


def test_traversal_that_stays_in_the_frontend_serves_only_frontend_files(
    hardened,
):
    server, _ = hardened
    status, headers, body = hu.raw_get(server.url, hu.PREFIX + "static/api.js")
    COUNTS["requests"] += 1
    assert status == 200
    assert headers["content-type"].startswith("text/javascript")
    with open(os.path.join(REPO, "frontend", "api.js"), "rb") as handle:
        assert body == handle.read()
    status, _, body = hu.raw_get(server.url, hu.PREFIX + "static/nope.js")
    COUNTS["requests"] += 1
    assert status == 404
    assert b"'nope.js'" in body


def test_very_long_request_lines_are_refused_without_a_crash(hardened):
    server, _ = hardened
    long_run = urllib.parse.quote("r" * 60000)
    status, _, _ = hu.raw_get(server.url, hu.route_path("run") + "?run=" + long_run)
    COUNTS["requests"] += 1
    assert 400 <= status < 500 or status == 414
    status, _, body = server.get(hu.PREFIX + "runs")
    COUNTS["requests"] += 1
    assert status == 200, body[:200]


def test_counts_of_inputs_and_requests():
    """Prints the totals (run with ``-s``); runs after the tests above."""
    print(
        f"\n[hardening] routes: {COUNTS['inputs']} hostile inputs, "
        f"{COUNTS['requests']} requests"
    )
    assert COUNTS["requests"] >= COUNTS["inputs"] > 0
