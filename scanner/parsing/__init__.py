"""Parsers detectors share: Python/notebook syntax facts and capped YAML/JSON/TOML loading."""
