"""Progressive delivery written in code: serving code that sends a share of requests to a candidate
model (a random draw or a hash bucket compared with a share, a weighted choice between models),
serving code that also runs a shadow model on the same input without returning its answer, and
the rollback of a serving release that the code calls (a script's entry point is run by hand).

A variable or class merely named canary or shadow splits nothing: only a branch between models on
a draw, or a second model's answer that is fired off or only logged, counts.
"""
from __future__ import annotations

import ast
from typing import Iterator

from detectors.flow import Finding, Function, Module, Project, callee, dotted, own_nodes, source, words
from scanner.parsing.python import walk

#: imports of serving code: web frameworks and model servers.
SERVING_IMPORTS = ("fastapi", "flask", "starlette", "litserve", "bentoml", "ray", "aiohttp", "sanic", "tornado",
                   "grpc", "quart", "django", "kserve", "seldon_core", "mlserver", "gradio", "falcon")
_PREDICT = frozenset({"predict", "predict_proba", "predict_one", "infer", "inference", "run_inference", "generate",
                      "forward", "invoke", "classify", "embed", "transcribe"})
_MODEL_WORDS = frozenset({"model", "models", "candidate", "canary", "challenger", "champion", "variant", "arm",
                          "version", "stable", "incumbent", "shadow", "treatment", "control", "predictor"})
_DRAWS = frozenset({"random", "rand", "uniform", "random_sample", "randint", "randrange"})
_HASHES = frozenset({"hash", "crc32", "adler32", "md5", "sha1", "sha256", "hexdigest", "digest", "hash32", "hash64",
                     "hash128", "murmurhash3_32", "xxh64", "intdigest"})
_CHOICES = frozenset({"choices", "choice"})
#: calls that run something without waiting for its answer.
_FIRE = frozenset({"create_task", "ensure_future", "add_task", "submit", "run_in_executor", "spawn", "apply_async",
                   "delay", "start_soon", "Thread", "Process", "call_soon", "run_coroutine_threadsafe"})
#: what a rollback of a release touches (a serving pointer, an alias, a deployment, traffic).
_RELEASE_WORDS = frozenset({"serving", "serve", "deploy", "deployment", "release", "alias", "endpoint", "traffic",
                            "champion", "revision", "rollout", "pointer", "live", "production", "prod"})


def _predicts(fn: Function) -> bool:
    """Calls a model's predict, or is itself the prediction route (which may post to a model server)."""
    return bool(words(fn.node.name) & _PREDICT) or any(words(c) & _PREDICT for c in fn.calls)


def _assigned(nodes: list[ast.AST]) -> set[str]:
    return {t.id for stmt in nodes for node in walk(stmt) if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)}


def _overrides(fn: Function, node: ast.If) -> bool:
    """An ``if`` without ``else`` that re-points a default set before it (``url = PRIMARY`` then
    ``if draw: url = CANARY``) branches between models as surely as an ``if``/``else``."""
    before = [stmt for stmt in own_nodes(fn.node) if isinstance(stmt, ast.Assign) and stmt.lineno < node.lineno]
    return bool(_assigned(node.body) & _assigned(before))


def _model_words(nodes: list[ast.AST]) -> bool:
    for stmt in nodes:
        for node in walk(stmt):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else \
                node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
            if name and words(name) & _MODEL_WORDS:
                return True
    return False


def _draw(test: ast.AST) -> str | None:
    """'random draw' or 'hash bucket' when the test compares one with something."""
    for node in walk(test):
        if not isinstance(node, ast.Compare):
            continue
        for side in [node.left, *node.comparators]:
            for sub in walk(side):
                if isinstance(sub, ast.Call) and callee(sub) in _DRAWS and "random" in dotted(sub.func):
                    return "random draw"
                if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Mod) and any(
                        isinstance(c, ast.Call) and callee(c) in _HASHES for c in walk(sub.left)):
                    return "hash bucket"
    return None


def _serving_modules(project: Project) -> Iterator[Module]:
    for module in project.modules(*SERVING_IMPORTS):
        if any(not level and target.split(".")[0] in SERVING_IMPORTS for level, target in module.imports.values()):
            yield module


def traffic_splits(project: Project) -> Iterator[Finding]:
    """A predicting function of serving code that picks a model by a draw, a bucket or weights."""
    for module in _serving_modules(project):
        for fn in module.all_functions():
            if not _predicts(fn):
                continue
            for node in own_nodes(fn.node):
                if isinstance(node, ast.If) and _model_words(node.body) and (
                        _model_words(node.orelse) if node.orelse else _overrides(fn, node)):
                    how = _draw(node.test)
                    if how:
                        yield Finding(f"{fn.qualname} routes requests between models by a {how} "
                                      f"(if {source(node.test, 60)})", ((module.path, node.lineno),))
                        return
                if isinstance(node, ast.Call) and callee(node) in _CHOICES and "random" in dotted(node.func) \
                        and _weighted(node) and _model_words(node.args[:1]):
                    yield Finding(f"{fn.qualname} picks a model by weights ({source(node, 60)})",
                                  ((module.path, node.lineno),))
                    return


def _weighted(node: ast.Call) -> bool:
    return any(k.arg in ("weights", "cum_weights", "p") for k in node.keywords)


def shadow_calls(project: Project) -> Iterator[Finding]:
    """A predicting function of serving code that also runs a model on the same input and does not
    answer with it: fired off as a task, or its prediction only logged or compared."""
    for module in _serving_modules(project):
        for fn in module.all_functions():
            if not _predicts(fn) or not _returns_prediction(fn):
                continue
            hit = _fired_prediction(module, fn) or _unreturned_prediction(fn)
            if hit:
                line, what = hit
                yield Finding(f"{fn.qualname} answers with one model and {what}", ((module.path, line),))
                return


def _returns_prediction(fn: Function) -> bool:
    """The function answers with a prediction: a value it returns comes from a predict call."""
    predicted = _predicted_names(fn)
    for node in own_nodes(fn.node):
        if isinstance(node, ast.Return) and node.value is not None:
            names = {n.id for n in walk(node.value) if isinstance(n, ast.Name)}
            calls = [n for n in walk(node.value) if isinstance(n, ast.Call) and words(callee(n) or "") & _PREDICT]
            if names & set(predicted) or calls:
                return True
    return False


def _predicted_names(fn: Function) -> dict[str, ast.Call]:
    """Names assigned from a predict call (``y = model.predict(x)``, ``y = await m.infer(x)``)."""
    out = {}
    for node in own_nodes(fn.node):
        if isinstance(node, ast.Assign):
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(value, ast.Call) and words(callee(value) or "") & _PREDICT:
                out.update({t.id: value for t in node.targets if isinstance(t, ast.Name)})
    return out


def _fired_prediction(module: Module, fn: Function) -> tuple[int, str] | None:
    for node in own_nodes(fn.node):
        if not (isinstance(node, ast.Call) and callee(node) in _FIRE):
            continue
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            inner = [c for c in walk(arg) if isinstance(c, ast.Call) and words(callee(c) or "") & _PREDICT]
            targets = [f for n in walk(arg) if isinstance(n, (ast.Name, ast.Attribute))
                       for f in module.lookup(n.id if isinstance(n, ast.Name) else n.attr, fn.cls)
                       if f is not fn and _predicts(f)]
            if inner or targets:
                what = callee(inner[0]) if inner else targets[0].qualname
                return node.lineno, f"fires {what} on the same request without waiting ({callee(node)})"
    return None


def _unreturned_prediction(fn: Function) -> tuple[int, str] | None:
    """A second model's prediction on the same input that no return uses (only logged or compared)."""
    predicted = _predicted_names(fn)
    returned = {n.id for node in own_nodes(fn.node) if isinstance(node, ast.Return) and node.value is not None
                for n in walk(node.value) if isinstance(n, ast.Name)}
    answered = [c for name, c in predicted.items() if name in returned]
    for name, call in predicted.items():
        if name in returned or not answered:
            continue
        same_input = {source(a, 200) for a in call.args} & {source(a, 200) for c in answered for a in c.args} - {"..."}
        other_model = all(dotted(call.func) != dotted(c.func) for c in answered)
        if same_input and other_model and not _feeds_return(fn, name, returned):
            return call.lineno, f"runs {dotted(call.func)} on the same input only to log or compare it"
    return None


def _feeds_return(fn: Function, name: str, returned: set[str]) -> bool:
    """``name`` flows into a returned value through an assignment (``y = (a + b) / 2``)."""
    for node in own_nodes(fn.node):
        if isinstance(node, ast.Assign) and any(isinstance(n, ast.Name) and n.id == name for n in walk(node.value)):
            if any(isinstance(t, ast.Name) and t.id in returned for t in node.targets):
                return True
    return False


def _rolls_back(name: str) -> bool:
    ws = words(name)
    return "rollback" in ws or {"roll", "back"} <= ws or "revert" in ws


def _entry_point_lines(tree: ast.AST) -> set[int]:
    """Lines of a script's ``if __name__ == "__main__":`` block and of its unconditional top-level
    statements: what it calls there is a command a person runs (``python scripts/rollback.py``,
    a rollback to a version written into the script), not a reaction to a failed release."""
    lines: set[int] = set()
    for node in getattr(tree, "body", []):
        main = isinstance(node, ast.If) and "__main__" in source(node.test, 80) and "__name__" in source(node.test, 80)
        if main or isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def rollbacks(project: Project) -> Iterator[Finding]:
    """A rollback of a serving release that the code calls: named for what it rolls back
    (``rollback_model_version``), or restoring a serving pointer, an alias or a deployment in its
    body (``_roll_back`` calling ``restore_serving_pointer``)."""
    defs: dict[str, tuple[Module, Function, str]] = {}
    for module in project.modules("rollback", "roll_back", "revert", "rollBack"):
        if "migration" in module.path.lower():
            continue
        for fn in module.all_functions():
            if not _rolls_back(fn.name):
                continue
            if words(fn.name) & (_RELEASE_WORDS | {"model", "version"}):
                defs.setdefault(fn.name, (module, fn, fn.name))
                continue
            touched = [c for c in sorted(fn.calls) if words(c) & _RELEASE_WORDS and not _rolls_back(c)]
            if touched:
                defs.setdefault(fn.name, (module, fn, touched[0]))
    for name, (home, fn, context) in sorted(defs.items()):
        for module in project.modules(name):
            by_hand = _entry_point_lines(module.tree)
            for node in walk(module.tree):
                if not (isinstance(node, ast.Call) and callee(node) == name) or node.lineno in by_hand:
                    continue
                if not (module is home and fn.node.lineno <= node.lineno <= (fn.node.end_lineno or 0)):
                    what = "" if context == fn.name else f", which calls {context}"
                    yield Finding(f"automatic rollback: {fn.qualname} ({home.path}:{fn.line}{what}) is called "
                                  f"in {module.path}", ((module.path, node.lineno), (home.path, fn.line)))
                    return
