"""The commands a Dockerfile runs, read from its text: its ``RUN`` lines when the image is built
(in CI, a training stage trains there), its ``CMD`` and ``ENTRYPOINT`` when a container starts."""
from __future__ import annotations

import json
import re

#: the instructions whose arguments the detectors read.
INSTRUCTION = re.compile(r"^\s*(FROM|CMD|ENTRYPOINT|COPY|ADD)\s+(.*)$", re.I | re.M)
_RUN = re.compile(r"^\s*RUN\s+(?:--\S+\s+)*(.*)$", re.I)


def uncommented(text: str) -> str:
    """Text with whole-line comments blanked (lines kept, so line numbers stay right)."""
    return re.sub(r"(?m)^\s*(#|//).*$", "", text)


def image_commands(text: str) -> list[tuple[int, str, str]]:
    """(line, instruction, command) of every ``CMD`` and ``ENTRYPOINT`` of a Dockerfile, in exec
    form (``["python", "score.py"]``) or shell form, as written."""
    code = uncommented(text)
    return [(code.count("\n", 0, m.start()) + 1, m.group(1).upper(), m.group(2))
            for m in INSTRUCTION.finditer(code) if m.group(1).upper() in ("CMD", "ENTRYPOINT")]


def build_commands(text: str) -> list[tuple[int, str]]:
    """(line, command) of every ``RUN`` of a Dockerfile: what building the image executes (lines
    continued with a backslash joined, the exec form read as words)."""
    lines = uncommented(text).split("\n")
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        m = _RUN.match(lines[i])
        if m:
            start, command = i, m.group(1)
            while command.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command.rstrip()[:-1] + " " + lines[i].strip()
            out.append((start + 1, shell_form(command)))
        i += 1
    return out


def shell_form(command: str) -> str:
    """An instruction's command as one shell line: the exec form (``["python", "-m", "app"]``) read
    as its words, the shell form as written."""
    command = command.strip()
    if command.startswith("["):
        try:
            words = json.loads(command)
        except ValueError:
            return command
        if isinstance(words, list):
            return " ".join(str(w) for w in words)
    return command


_WORKDIR = re.compile(r"^\s*WORKDIR\s+(\S+)\s*$", re.M | re.I)


def image_workdir(text: str) -> str:
    """The image's last absolute ``WORKDIR`` ('' when none): where ``COPY . .`` puts the context."""
    found = [w for w in _WORKDIR.findall(uncommented(text)) if w.startswith("/")]
    return found[-1].rstrip("/") if found else ""


#: a base image of an ML framework at a version (``FROM tensorflow/tfx:1.9.1``, ``nvcr.io/nvidia/pytorch:22.07-py3``).
#: A bare CUDA image (``nvidia/cuda:11.8``) fixes the toolkit, not the framework installed on it.
ML_BASE_IMAGE = re.compile(r"(?im)^\s*FROM\s+\S*(tensorflow|pytorch|tfx|nvidia/(?!cuda\b)|huggingface|rapidsai|"
                           r"jupyter/\S*-notebook)\S*:\S*\d")
DOCKERFILE = re.compile(r"(^|/)(dockerfile|containerfile)([._-][^/]*)?$|\.dockerfile$", re.I)


def is_dockerfile(path: str) -> bool:
    """A Dockerfile or Containerfile (``Dockerfile.gpu``, ``train.dockerfile``), not a Markdown page about one."""
    return bool(DOCKERFILE.search(path)) and not path.lower().endswith((".md", ".dockerignore"))
