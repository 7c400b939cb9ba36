"""pre-commit configuration: the hooks a repository runs on every commit (and in CI)."""
from __future__ import annotations

from typing import Any

from detectors.shapes import dicts, get_in

CONFIG_NAMES = (".pre-commit-config.yaml", ".pre-commit-config.yml")
#: hooks of scanners for vulnerabilities or secrets (the generic detect-private-key check of
#: pre-commit-hooks, in almost every config, is hygiene rather than a scan).
SECURITY_HOOKS = frozenset({
    "bandit", "detect-secrets", "gitleaks", "trufflehog", "safety", "python-safety-dependencies-check",
    "pip-audit", "semgrep", "checkov", "terraform_tfsec", "tfsec", "trivy", "osv-scanner",
    "ripsecrets", "talisman-commit", "ggshield",
})


def hook_ids(doc: Any) -> list[str]:
    """Sorted hook ids of a parsed pre-commit config (empty for any other shape)."""
    return sorted({str(h.get("id")) for r in dicts(get_in(doc, "repos")) for h in dicts(r.get("hooks"))
                   if h.get("id")})
