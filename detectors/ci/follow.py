"""Where a CI command leads: the shell scripts, task-runner recipes, Python modules and remote
jobs it starts, followed several levels deep so a finding shows the chain down to what really
runs (``.github/workflows/ci.yml:40 -> deploy/run.sh:12 -> train.py:88``).

Depth, files read and hops walked are capped, and a place already on the chain is not entered
again, so scripts calling each other end.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Callable, Iterator

from detectors.ci import classify as k
from detectors.ci.classify import compiles, script_target
from detectors.ci.commands import Command, commands, container_image, in_folders, module_form
from detectors.ci.modules import Modules
from detectors.ci.remote import RemoteJobs, locate
from detectors.ci.tasks import TaskRunners
from detectors.dockerfile import build_commands, image_commands, image_workdir, shell_form
from scanner.detector import ScanContext

MAX_DEPTH = 5
#: files (scripts, job definitions) read while following, per scan.
MAX_FILES = 80
#: hops walked per scan: a bound on the work whatever the repository holds.
MAX_HOPS = 5000

_SHELL_SUFFIX = (".sh", ".bash", ".zsh")
#: ``$(dirname "$0")/x.sh``, ``${DIR}/x.sh``, ``$ROOT/x.sh``: the script's own folder, most often.
_DIR_PREFIX = re.compile(r"^(?:SUBST|\$\{?\w+\}?)/")
_SHELL_SHEBANG = re.compile(r"\b(ba|z|da|k)?sh\b")
_PYTHON_SHEBANG = re.compile(r"^#!.*\bpython[\d.]*\b")
_PYTEST_FILE = re.compile(r"^([\w./-]+\.py)(?:::.*)?$")
#: a shell, Make or CI variable in a path (``${X}``, ``$(x)``, ``$X``)
#: (a command substitution, ``$(pipeline)`` of a Makefile among them, is already ``SUBST``)
_VARIABLE = re.compile(r"\$\{\w+\}|\$\(\w+\)|\$\w+|\bSUBST\b")
#: test modules of a folder read to learn whether a test run submits a training pipeline
MAX_TEST_MODULES = 12

#: classifies one command run in a folder; the flag says a submitted job's definition was read.
Classifier = Callable[[Command, str, bool], set[str]]


@dataclass(frozen=True)
class Hop:
    """One place on a chain: a file, a line, and what is written there."""

    path: str
    line: int | None
    text: str


@dataclass(frozen=True)
class Reached:
    """Something a CI command leads to, the hops down to it, and what it does."""

    hops: tuple[Hop, ...]
    kinds: frozenset[str]


@dataclass(frozen=True)
class _Next:
    hop: Hop
    command: Command | None
    workdir: str
    kinds: frozenset[str] = frozenset()


class Follower:
    """Follows commands into what they start; shared by every job of a scan (caches, budget)."""

    def __init__(self, ctx: ScanContext, classify: Classifier) -> None:
        self.ctx = ctx
        self.classify = classify
        self.runners = TaskRunners(ctx)
        self.modules = Modules(ctx)
        self.remote = RemoteJobs(ctx)
        self._files: set[str] = set()
        self._hops = MAX_HOPS
        #: images a CI file builds (``docker build -t TAG``): (file, image name) -> (Dockerfile, context)
        self._images: dict[tuple[str, str], tuple[str, str]] = {}

    # -- one command -----------------------------------------------------------------------------
    def kinds(self, cmd: Command, workdir: str, at: Hop) -> tuple[set[str], Hop | None]:
        """Kinds of one command and, when it runs a Python module of the repository, that module.

        A module whose name says nothing is classified by its calls; any module that submits a
        pipeline adds what the pipeline does; a test file run by pytest adds training when it
        runs a pipeline that trains (an end-to-end pipeline test).
        """
        dirs = _dirs(workdir, at.path)
        submitted = bool(self.remote.definitions(cmd, dirs))
        kinds = self.classify(cmd, workdir, submitted)
        found = self._module(cmd, dirs, named=bool(kinds))
        if found is None:
            return kinds, None
        module_kinds, hop = found
        if self.modules.publishes_pipeline(hop.path):
            kinds -= {k.TRAIN, k.DATA_PIPELINE}  # ``train_pipeline.py`` that only upserts the definition
        return kinds | module_kinds, hop

    def _module(self, cmd: Command, dirs: tuple[str, ...], named: bool) -> tuple[set[str], Hop] | None:
        tool = (module_form(cmd) or cmd).tool
        if tool in ("pytest", "py.test"):
            for word in cmd.words[1:]:
                m = _PYTEST_FILE.match(word)
                paths = [self.modules.find(m.group(1), dirs)] if m else self._test_modules(word, dirs)
                for path in paths:
                    found = self.modules.kinds(path, by_calls=False, dirs=dirs) if path else None
                    if found is not None and k.TRAIN in found.kinds:
                        return {k.TRAIN}, Hop(path, found.line, found.what)
            return None
        target = script_target(cmd)
        if not target:
            return None
        if cmd.tool.startswith("python"):
            path = self.modules.find(target if target.endswith((".py", ".ipynb")) else target.replace("/", "."), dirs)
        else:  # ``./tools/check`` whose shebang runs Python
            path = locate(self.ctx, _DIR_PREFIX.sub("", target), dirs)
            path = path if path and _PYTHON_SHEBANG.match(self._first_line(path)) else None
        if path is None:
            return None
        words = list(cmd.words[1:])
        while words and words[0].startswith("-"):
            words.pop(0)
        args = tuple(words[1:])
        found = self.modules.kinds(path, args, dirs=dirs)
        if found is None:
            return set(), Hop(path, None, path)
        # a name that says what the module does wins over its calls; a submitted pipeline and a
        # registry alias or stage moved add (``ModelDeployment`` setting the serving alias)
        kinds = set(found.kinds) if not named or found.kinds & {k.DATA_PIPELINE, k.PROMOTE} else set()
        return kinds, Hop(path, found.line, found.what)

    def _test_modules(self, word: str, dirs: tuple[str, ...]) -> list[str]:
        """Test modules under a folder pytest is given; a variable in the folder's path
        (``tests/${PIPELINE_TEMPLATE}/$(pipeline)``) stands for any one folder."""
        if word.startswith("-") or "=" in word or not re.fullmatch(r"[\w./${}()-]+", word):
            return []
        folder = _VARIABLE.sub("\0", word.removeprefix("./").rstrip("/"))
        if folder in ("", "."):
            return []  # the whole repository: every test module would be a guess
        rx = re.compile("(?:" + "|".join(re.escape(posixpath.join(d, "") if d else "") for d in dict.fromkeys([*dirs, ""]))
                        + ")" + re.escape(folder).replace("\0", "[^/]+") + r"/(?:[^/]+/)*(?:test_[^/]*|[^/]*_test)\.py")
        return [p for p in self.ctx.files() if rx.fullmatch(p)][:MAX_TEST_MODULES]

    # -- the walk --------------------------------------------------------------------------------
    def walk(self, cmd: Command, workdir: str, at: Hop) -> list[Reached]:
        """Everything ``cmd`` (written at ``at``) leads to, with its chain of hops."""
        return self._walk(cmd, workdir, at, 0, frozenset({(at.path, at.line)}))

    def _walk(self, cmd: Command, workdir: str, at: Hop, depth: int, seen: frozenset) -> list[Reached]:
        if depth >= MAX_DEPTH or cmd.neutered or cmd.inert:
            return []
        out: list[Reached] = []
        for nxt in self._next(cmd, workdir, at):
            key = (nxt.hop.path, nxt.hop.line, nxt.hop.text)
            if key in seen or self._hops <= 0:
                continue
            self._hops -= 1
            if nxt.command is None:
                out.append(Reached((nxt.hop,), nxt.kinds))
                continue
            if nxt.command.neutered or nxt.command.inert:
                continue
            kinds, module = self.kinds(nxt.command, nxt.workdir, nxt.hop)
            if kinds:
                out.append(Reached((nxt.hop, module) if module else (nxt.hop,), frozenset(kinds)))
            for sub in self._walk(nxt.command, nxt.workdir, nxt.hop, depth + 1, seen | {key}):
                out.append(Reached((nxt.hop, *sub.hops), sub.kinds))
        if compiles(cmd.words):  # ``make compile-pipeline``: what it leads to compiles, runs nothing
            out = [Reached(r.hops, r.kinds - {k.DATA_PIPELINE}) for r in out]
            out = [r for r in out if r.kinds]
        return out

    def _next(self, cmd: Command, workdir: str, at: Hop) -> Iterator[_Next]:
        """The places ``cmd`` starts: recipe lines, script lines, remote job commands."""
        # without a working folder of its own a command runs where its file is: a recipe line from
        # its Makefile's folder, a buildspec's from its source root (the task files looked up
        # there, then at the repository root)
        folder = workdir or posixpath.dirname(at.path)
        # a ``cd`` in a recipe line moves the commands after it on that line (each line of a
        # recipe runs in a shell of its own)
        moved: dict[tuple[str, int | None], str] = {}
        for res in self.runners.resolve(module_form(cmd) or cmd, folder):  # ``python -m tox -e lint`` too
            here = moved.get((res.path, res.line), workdir)
            if res.command.tool in ("cd", "pushd", "popd"):
                (_, there), = in_folders([res.command], here or posixpath.dirname(res.path))
                moved[(res.path, res.line)] = there
            yield _Next(Hop(res.path, res.line, res.command.text), res.command, here)
        dirs = _dirs(workdir, at.path)
        script = self._shell_script(cmd, dirs)
        if script is not None:
            for sub, folder in in_folders(commands(self.ctx.text(script) or ""), workdir):
                yield _Next(Hop(script, sub.offset + 1, sub.text), sub, folder)
        dockerfile = self._dockerfile(cmd, dirs)
        if dockerfile is not None:
            # building an image runs its RUN lines in CI (a training stage trains right there)
            context = _build_context(cmd, dirs)
            tag = _option_value(cmd.words, "-t", "--tag")
            if tag:
                self._images[(at.path, _image_name(tag))] = (dockerfile, context)
            for line, text in build_commands(self.ctx.text(dockerfile) or ""):
                for sub in commands(text):
                    yield _Next(Hop(dockerfile, line, sub.text), sub, context)
        image = container_image(cmd.words)
        built = self._images.get((at.path, _image_name(image))) if image else None
        if built is not None:
            # ``docker run IMAGE`` of an image the same file built runs the image's own command
            dockerfile, context = built
            source = self.ctx.text(dockerfile) or ""
            # a file named by its path in the image (``/app/entrypoint.sh``) is the context's file
            inside = image_workdir(source)
            for line, _, text in image_commands(source):
                text = shell_form(text).replace(f"{inside}/", "") if inside else shell_form(text)
                for sub in commands(text):
                    yield _Next(Hop(dockerfile, line, sub.text), sub, context)
        for remote in self.remote.definitions(cmd, dirs):
            if remote.path and not self._may_read(remote.path):
                continue
            path, line = (remote.path, remote.line) if remote.path else (at.path, at.line)
            if remote.kinds:
                yield _Next(Hop(path, line, cmd.text), None, workdir, remote.kinds)
            for sub in commands(remote.script):
                line_of = (line + sub.offset) if line and remote.path else line
                yield _Next(Hop(path, line_of, sub.text), sub, remote.workdir or workdir)

    def _shell_script(self, cmd: Command, dirs: tuple[str, ...]) -> str | None:
        """The repository shell script a command runs (``bash x.sh``, ``./deploy/run.sh``)."""
        target = script_target(cmd)
        if not target or cmd.tool.startswith("python") or target.lower().endswith((".py", ".ipynb", ".r", ".js", ".ts")):
            return None
        if cmd.tool not in ("bash", "sh", "zsh", "dash", "ksh") and not target.lower().endswith(_SHELL_SUFFIX) \
                and not target.startswith("./"):
            return None
        path = locate(self.ctx, _DIR_PREFIX.sub("", target), dirs)
        if path is None or not self._may_read(path):
            return None
        first = self._first_line(path)
        # ``./manage`` with a Python (or other) shebang is not shell: its lines are no commands
        return None if first.startswith("#!") and not _SHELL_SHEBANG.search(first) else path

    def _dockerfile(self, cmd: Command, dirs: tuple[str, ...]) -> str | None:
        """The repository Dockerfile ``docker build`` (``buildx``, ``podman``) builds."""
        if not _IMAGE_BUILD.match(" ".join(cmd.words[:3])):
            return None
        named = _option_value(cmd.words, "-f", "--file")
        context = _build_context(cmd, dirs)
        path = locate(self.ctx, named, dirs) if named else None
        if path is None:
            path = locate(self.ctx, posixpath.join(context, named or "Dockerfile") if context else named or "Dockerfile", ())
        return path if path is not None and self._may_read(path) else None

    def _first_line(self, path: str) -> str:
        return (self.ctx.text(path) or "")[:200].split("\n", 1)[0]

    def _may_read(self, path: str) -> bool:
        if path in self._files:
            return True
        if len(self._files) >= MAX_FILES:
            return False
        self._files.add(path)
        return True


_IMAGE_BUILD = re.compile(r"^(docker|podman|buildah) (buildx |image )?(build|bud)\b")
#: options of ``docker build`` that take a value (the context is the word that is none of them).
_BUILD_VALUED = frozenset({"-f", "--file", "-t", "--tag", "--build-arg", "--target", "--platform", "--label",
                           "--cache-from", "--cache-to", "--secret", "--ssh", "--network", "--output", "-o"})


def _option_value(words: tuple[str, ...], *names: str) -> str:
    for i, word in enumerate(words):
        if word in names and i + 1 < len(words):
            return words[i + 1]
        for name in names:
            if name.startswith("--") and word.startswith(name + "="):
                return word.split("=", 1)[1]
    return ""


def _image_name(ref: str) -> str:
    """An image reference without its tag or digest (``trainer:latest`` -> ``trainer``)."""
    ref = ref.split("@", 1)[0]
    head, _, tail = ref.rpartition(":")
    return head if head and "/" not in tail else ref


def _build_context(cmd: Command, dirs: tuple[str, ...]) -> str:
    """The build context of ``docker build``: its last positional word (``.`` -> the working folder)."""
    words = list(cmd.words[2:] if cmd.words[1] in ("buildx", "image") else cmd.words[1:])[1:]
    positional, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in _BUILD_VALUED:
            skip = True
        elif not word.startswith("-"):
            positional.append(word)
    context = positional[-1] if positional else "."
    base = dirs[0] if dirs else ""
    joined = posixpath.normpath(posixpath.join(base, context)) if "://" not in context else ""
    return "" if joined in (".", "") or joined.startswith("..") else joined


def _dirs(workdir: str, path: str) -> tuple[str, ...]:
    """Folders a name in a command is looked up from: the working folder, then the file's own."""
    work = posixpath.normpath(workdir) if workdir else ""
    return tuple(d for d in dict.fromkeys([work, posixpath.dirname(path)]) if d and d != "." and not d.startswith(".."))
