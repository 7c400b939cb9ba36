"""Reporters render a scan; they compute nothing.

Every format but the terminal one renders the evidence bundle (``build_bundle``), so a saved
bundle can be rendered again and all formats of one run agree.
"""
from __future__ import annotations

from typing import Any, Callable

from scanner.model import ScanResult
from scanner.reporting.badge import render_badge
from scanner.reporting.bundle import BundleExtras, build_bundle, dump_bundle
from scanner.reporting.html_report import render_html
from scanner.reporting.json_report import render_json, to_dict
from scanner.reporting.markdown_report import render_markdown
from scanner.reporting.sarif_report import render_sarif
from scanner.reporting.text_report import render_text
from scanner.reporting.text_sections import render_text_report

#: format -> renderer of a bundle.
BUNDLE_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "json": dump_bundle, "md": render_markdown, "html": render_html, "sarif": render_sarif, "badge": render_badge,
}
#: every format of ``scan --format``; ``text`` needs the scan itself.
FORMATS: tuple[str, ...] = ("text", *BUNDLE_RENDERERS)
#: file name of each format in ``--out-dir``.
FILE_NAMES = {"text": "mlops-scan.txt", "json": "mlops-scan.json", "md": "mlops-scan.md",
              "html": "mlops-scan.html", "sarif": "mlops-scan.sarif", "badge": "mlops-scan-badge.json"}


def render(fmt: str, result: ScanResult | None, bundle: dict[str, Any]) -> str:
    """One format of a scan (``result`` is needed for ``text`` only)."""
    if fmt == "text":
        if result is None:
            raise ValueError("the text report needs a scan, not a saved bundle")
        return render_text_report(result, bundle)
    return BUNDLE_RENDERERS[fmt](bundle)


__all__ = ["BUNDLE_RENDERERS", "FILE_NAMES", "FORMATS", "BundleExtras", "build_bundle", "dump_bundle",
           "render", "render_badge", "render_html", "render_json", "render_markdown", "render_sarif",
           "render_text", "to_dict"]
