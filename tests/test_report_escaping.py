"""Names and messages from a scanned repository cannot steer a report: in Markdown a backtick,
a bracket, a pipe, ``<`` or a line break in a path opens no link, heading, table cell or raw
HTML; on a terminal an escape sequence is shown, not obeyed. Fuzzed with generated paths."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.model import (DimensionScore, Evidence, Location, Outcome, ScanResult, SignalResult, Target)
from scanner.reporting.markdown_report import render_markdown
from scanner.reporting.text_report import render_text

BUNDLE = json.loads((Path(__file__).parent / "golden" / "bundle.json").read_text(encoding="utf-8"))
HOSTILE = "a`](javascript:x)<img src=x onerror=alert(1)>\n# Owned | cell\r\x1b]0;title\x07\u202e[x](http://evil)"
#: the tags the Markdown report writes itself
OWN_TAGS = re.compile(r"</?(?:details|summary|b)>")
PATHS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)


def hostile_bundle(text: str) -> dict:
    b = copy.deepcopy(BUNDLE)
    b["target"]["name"] = text
    for ev in b["evidence"]:
        for loc in ev["locations"]:
            loc["path"] = text
    b["errors"] = [{"source": text, "message": text}]
    b["waivers"][0]["reason"] = text
    return b


def without_code_spans(md: str) -> str:
    """The text outside code spans (inside one, ``<`` and ``](`` are literal): a span opens with a
    run of backticks and closes with a run of the same length (CommonMark); escaped ones open none."""
    out, i = [], 0
    while i < len(md):
        if md[i] == "`" and (i == 0 or md[i - 1] != "\\"):
            run = len(md[i:]) - len(md[i:].lstrip("`"))
            end = md.find("`" * run, i + run)
            while end != -1 and md[end + run:end + run + 1] == "`":
                end = md.find("`" * run, end + run + 1)
            if end != -1:
                i = end + run
                continue
        out.append(md[i])
        i += 1
    return "".join(out)


def markdown_problems(md: str, benign: str) -> list[str]:
    problems = []
    md = without_code_spans(md)
    if md.count("\n") != benign.count("\n"):
        problems.append("a line break in a value started a new block")
    if re.search(r"(?<!\\)<(?!/?(?:details|summary|b)>)", md):
        problems.append("raw HTML")
    if re.search(r"(?<![\\`])\]\((?!<?https?://)", md):
        problems.append("a link opened by a value")
    return problems


def test_a_hostile_path_stays_text_in_markdown():
    md = render_markdown(hostile_bundle(HOSTILE))
    assert not markdown_problems(md, render_markdown(hostile_bundle("plain/path.py")))
    outside = without_code_spans(md)
    assert "<img" not in outside.replace("\\<img", "") and "\n# Owned" not in md


@settings(max_examples=150, deadline=None)
@given(text=PATHS)
def test_generated_paths_stay_text_in_markdown(text):
    md = render_markdown(hostile_bundle(text))
    assert not markdown_problems(md, render_markdown(hostile_bundle("plain/path.py"))), text


def _result(text: str) -> ScanResult:
    loc = Location(path=text, line=1)
    ev = Evidence(id="0" * 16, signal="deploy.iac", detector="deployment", outcome=Outcome.ERROR, tier=None,
                  summary=text, locations=(loc,))
    score = DimensionScore(dimension="model_deployment", level=0, reason=text, met=(), gap=(), confidence=1.0,
                           recommendations=())
    return ScanResult(target=Target(kind="local", name=text), tool_version="0", rules_name="default",
                      rules_sha256="0", started_at="", finished_at="",
                      signals={"deploy.iac": SignalResult(signal="deploy.iac", outcome=Outcome.ERROR, tier=None,
                                                          evidence_ids=(ev.id,), reason=text)},
                      evidence=(ev,), scores={"model_deployment": score},
                      coverage={"sources": {"repository": {"skipped_files": {text: text}}}},
                      errors=({"source": text, "message": text},))


@settings(max_examples=150, deadline=None)
@given(text=PATHS)
def test_generated_names_cannot_act_on_a_terminal(text):
    out = render_text(_result(text))
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)


def test_an_escape_sequence_in_a_name_is_shown_not_obeyed():
    out = render_text(_result("evil\x1b]0;pwned\x07\x1b[2J.py"))
    assert "\x1b" not in out and "evil\\x1b]0;pwned\\x07\\x1b[2J.py" in out
