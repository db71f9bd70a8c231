"""Hostile names go through every route as data and render inert in reports.

The run's folder name, class names, feature names, method key, label and
options hold ``<script>``, a quote-breaking ``<img onerror>``,
``</textarea>``, ``&amp;`` and U+202E. JSON routes must give them back
exactly (JSON-escaped); the report route must render them as text in HTML
and Markdown and as data in JSON. The browser side is tested with the
frontend.
"""

from __future__ import annotations

import html.parser
import io
import json
import re
import zipfile

import hardening_utils as hu
import markdown
import pytest

pytestmark = pytest.mark.server

RUN = hu.HOSTILE_RUN
CLASSES = [hu.SCRIPT, hu.ATTRIBUTE]
FEATURES = [hu.SCRIPT, hu.ATTRIBUTE, hu.TEXTAREA, hu.AMPERSAND, f"{hu.RTL}evil"]
DANGEROUS_TAGS = {"script", "img", "textarea", "iframe", "object", "embed"}


@pytest.fixture(scope="module")
def server(tmp_path_factory, tensorboard_server):
    """The session's hardening server."""
    return hu.hardening_server(tmp_path_factory, tensorboard_server)[0]


def get_json(server, route: str, **query):
    status, headers, body = hu.raw_get(server.url, hu.route_path(route, **query))
    assert status == 200, body[:300]
    assert headers["content-type"] == "application/json"
    assert headers.get("x-content-type-options") == "nosniff"
    return json.loads(body)


class Markup(html.parser.HTMLParser):
    """Collects the tags, attributes and text of an HTML document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(document: str) -> Markup:
    parser = Markup()
    parser.feed(document)
    parser.close()
    return parser


def assert_inert(document: str, images=()) -> str:
    """No script, handler or injected tag in ``document``; returns its text.

    Args:
        document: HTML.
        images: File names an ``<img>`` may show besides ``data:`` images.
    """
    markup = parse_html(document)
    for tag, attrs in markup.tags:
        if tag == "img":
            source = attrs.get("src") or ""
            assert source.startswith("data:image/") or source in images, attrs
        else:
            assert tag not in DANGEROUS_TAGS, (tag, attrs)
        handlers = [name for name in attrs if name.lower().startswith("on")]
        assert not handlers, (tag, attrs)
        for value in attrs.values():
            assert "javascript:" not in (value or "").lower(), (tag, attrs)
    text = "".join(markup.text)
    return text


def test_runs_route_lists_the_hostile_run_as_data(server):
    runs = {r["run"]: r for r in get_json(server, "runs")["runs"]}
    assert RUN in runs
    entry = runs[RUN]
    assert entry["errors"] == []
    assert entry["class_names"] == CLASSES
    assert entry["feature_names"] == FEATURES
    assert [m["key"] for m in entry["methods"]] == [hu.HOSTILE_METHOD]
    assert entry["methods"][0]["label"] == f"IG {hu.SCRIPT}{hu.TEXTAREA}"


def test_json_routes_return_hostile_names_exactly(server):
    config = get_json(server, "run", run=RUN)["config"]
    assert config["class_names"] == CLASSES
    assert config["feature_names"] == FEATURES
    options = config["methods"][0]["options"]
    assert options == {"note": " ".join(hu.HOSTILE_TEXTS), hu.SCRIPT: hu.ATTRIBUTE}

    samples = get_json(server, "samples", run=RUN)["samples"]
    names = {s["label_name"] for s in samples} | {s["predicted_name"] for s in samples}
    assert names <= set(CLASSES) and names

    sample = get_json(server, "sample", run=RUN, sample=0)
    assert [m["key"] for m in sample["methods"]] == [hu.HOSTILE_METHOD]
    assert sample["methods"][0]["label"] == f"IG {hu.SCRIPT}{hu.TEXTAREA}"

    figures = get_json(server, "global", run=RUN, method=hu.HOSTILE_METHOD)
    assert figures["class_names"] == CLASSES
    quality = get_json(server, "quality", run=RUN)
    methods = {e["method"] for entries in quality["summary"].values() for e in entries}
    assert methods == {hu.HOSTILE_METHOD}
    history = get_json(server, "history", run=RUN, sample=1)
    assert list(history["methods"]) == [hu.HOSTILE_METHOD]


def test_binary_routes_answer_for_the_hostile_run(server):
    path = hu.route_path("map", run=RUN, method=hu.HOSTILE_METHOD, sample=2)
    status, headers, body = hu.raw_get(server.url, path)
    assert status == 200, body[:300]
    assert headers["x-shape"] == "5"
    assert len(body) == 5 * 4
    status, headers, _ = hu.raw_get(
        server.url, hu.route_path("input", run=RUN, sample=2)
    )
    assert status == 200
    assert headers["content-type"] == "application/octet-stream"


def test_errors_quote_hostile_values_as_plain_text(server):
    path = hu.route_path("map", run=RUN, method=hu.SCRIPT, sample=0)
    status, headers, body = hu.raw_get(server.url, path)
    assert status == 404
    assert headers["content-type"].startswith("text/plain")
    assert headers.get("x-content-type-options") == "nosniff"
    assert hu.SCRIPT.encode() in body


def report(server, report_format: str) -> tuple[dict, bytes]:
    path = hu.route_path("report", run=RUN, format=report_format)
    status, headers, body = hu.raw_get(server.url, path, timeout=120)
    assert status == 200, body[:300]
    return headers, body


def test_report_download_name_is_safe(server):
    headers, _ = report(server, "json")
    disposition = headers["content-disposition"]
    fallback = re.search(r'filename="([^"]*)"', disposition).group(1)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", fallback), disposition
    assert "<" not in disposition and "\u202e" not in disposition
    assert "\r" not in disposition and "\n" not in disposition


def test_html_report_renders_hostile_names_as_text(server):
    headers, body = report(server, "html")
    assert headers["content-type"].startswith("text/html")
    document = body.decode("utf-8")
    text = assert_inert(document)
    for hostile in (hu.SCRIPT, hu.ATTRIBUTE, hu.TEXTAREA, hu.AMPERSAND):
        assert hostile in text, hostile
    # A right-to-left override may not reorder what follows it in the page.
    assert hu.RTL not in document


def test_markdown_report_escapes_hostile_names(server):
    headers, body = report(server, "markdown")
    assert headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        assert all(".." not in n and not n.startswith("/") for n in names), names
        source = archive.read("report.md").decode("utf-8")
    for raw in ("<script", "<img", "</textarea", "onerror=alert(1)>"):
        assert raw not in source.lower(), raw
    assert hu.RTL not in source
    rendered = markdown.markdown(source, extensions=["tables"])
    text = assert_inert(rendered, images=names)
    for hostile in (hu.SCRIPT, hu.ATTRIBUTE, hu.TEXTAREA, hu.AMPERSAND):
        assert hostile in text, hostile


def test_json_report_holds_hostile_names_as_data(server):
    headers, body = report(server, "json")
    assert headers["content-type"] == "application/json"
    facts = json.loads(body)
    strings = set(_strings(facts))
    for hostile in (*CLASSES, *FEATURES, hu.HOSTILE_METHOD):
        assert hostile in strings or any(hostile in s for s in strings), hostile


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
