"""Reporters render a ScanResult; they compute nothing."""
from scanner.reporting.json_report import render_json, to_dict
from scanner.reporting.text_report import render_text

RENDERERS = {"json": render_json, "text": render_text}

__all__ = ["RENDERERS", "render_json", "render_text", "to_dict"]
