"""Evaluation gates in front of a model registry or a deployment: a registration, alias or stage
change, or a deploy/activate call, that runs only when a metric or an evaluation's verdict says
so.

Recognised shapes: the change nested in an ``if`` on a metric (``if rmse < best: promote()``); an
early exit before it (``if verdict["verdict"] == "blocked": return`` then ``set_alias``); a test
on a verdict computed by an evaluation function of the project (``ok = evaluate(...)``, a check
of a model such as ``check_model_performance(...)``, or a policy module's function returning a
metric comparison; a check that a file or new data arrived is no verdict); an Airflow branch returning the id of the
promoting task; and an evaluation step that cancels or fails its run when the new model does
not beat the production one, in a project that registers models further down the pipeline.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

from detectors.flow import ORCHESTRATORS, Function, Module, Project, callee, dotted, own_nodes, pipeline_importers, source, words
from scanner.detector import ScanContext
from scanner.parsing.python import walk

REGISTRY_MUTATIONS = frozenset({"set_registered_model_alias", "transition_model_version_stage", "set_prompt_alias",
                                "register_model", "create_model_version", "link_model", "link_artifact",
                                # Vertex AI version aliases, SageMaker model package versions and approval
                                "add_version_aliases", "create_model_package", "update_model_package"})
#: deployment changes: a model made live (``deploy_model``, ``activate_version``, ``update_endpoint``).
_DEPLOY_CALL = re.compile(r"^(deploy|deploy_\w+|\w+_deploy|activate_\w+|promote\w*|rollout\w*|update_endpoint\w*|"
                          r"create_endpoint\w*)$")
#: words of project helpers named for promoting, registering or deploying a model.
_PROMOTING_WORDS = frozenset({"promote", "promotion", "register", "registry", "deploy", "deployment", "alias",
                              "activate", "active", "stage", "transition", "publish", "link", "rollout", "release", "serve"})
#: names of a pointer to the version that serves (an alias kept as a symlink).
_LIVE_POINTERS = frozenset({"alias", "champion", "active", "live", "production", "current"})
#: keywords of a model registration (``Model.register(model_name=..., model_path=...)``).
_REGISTER_KWARGS = frozenset({"model_name", "model_path", "model_uri"})
#: the run or model a selection picked (``best_run``, ``best_model``): tested bare, it says only that one exists
_SELECTED = re.compile(r"^_?best(_(run|runs|model|models|candidate|trial|result|results|version|params|estimator))?$", re.I)
#: names of switches a person sets (``auto_promote``, ``enable_registration``, ``dry_run``)
_SWITCH = re.compile(r"^(auto|enable|enabled|allow|do|force|skip|no|dry)_|^dry_?run$", re.I)
_GATE_WORD = re.compile(r"accept|better|\bbest|improv|passe[sd]|gate|threshold|beats?\b|outperform|promot|"
                        r"approve|exceed|metric|score|accuracy|\bacc\b|auc|f1|rmse|mae|mse|loss|verdict|"
                        r"precision|recall|\br2\b|champion|challenger", re.I)
#: words of calls whose result is an evaluation's verdict (``verdict = evaluation.gate(...)``).
_EVALUATION_CALLS = frozenset({"gate", "evaluate", "evaluation", "compare", "verdict", "policy", "approve", "judge",
                               "assess"})
#: words of checks that a model artifact loads and answers in the right shape: no verdict on its quality.
_INTEGRITY_CHECKS = frozenset({"sanity", "smoke"})
#: words of calls that check or validate anything (files, arguments, new data): a verdict only on a model.
_CHECK_CALLS = frozenset({"check", "validate"})
#: metric words an abort guard compares (a loss is left out: a diverging run is not a gate).
_METRICS = frozenset({"accuracy", "acc", "auc", "f1", "precision", "recall", "r2", "rmse", "mse", "mae", "mape",
                      "score", "map", "iou", "bleu", "rouge", "wer", "metric", "metrics"})
#: words of what a check is about when its result is a model's verdict (``check_model_performance``).
_MODEL_SUBJECTS = _METRICS | {"model", "models", "performance", "scores", "quality", "candidate", "champion",
                              "challenger"}
#: what the other side of a metric comparison is named when it is a bar to pass.
_BARS = frozenset({"threshold", "min", "max", "baseline", "best", "prod", "production", "champion", "current",
                   "incumbent", "target", "required", "expected", "deployed", "registered", "old", "previous"})
MUTATION_HINTS = ("alias", "transition_model_version_stage", "register_model", "registered_model_name",
                   "create_model_version", "link_model", "link_artifact", ".link(", "deploy", "activate", "promot",
                   "endpoint", "rollout", "model_name=", "model_path=", "set_stage", "model_package")
#: stages of a model version (ZenML ``ModelStages``, MLflow stages), as ``set_stage`` takes them.
_MODEL_STAGES = frozenset({"production", "staging", "archived", "latest"})
_METRIC_COMPARISON = re.compile(r"(accuracy|auc|f1|precision|recall|r2|rmse|mse|mae|mape|score|metric)\w*\)?\s*[<>]"
                                r"|[<>]=?\s*\(?\w*(accuracy|auc|f1|precision|recall|rmse|mse|mae|score|metric)", re.I)
_ABORTS = frozenset({"cancel", "exit", "abort", "fail"})
#: a registry collection path, as W&B writes it (``org/wandb-registry-model/production``).
_REGISTRY_TARGET = re.compile(r"registry", re.I)


@dataclass(frozen=True)
class Gate:
    """A guarded change: where, what is guarded, the test, and whether it changes a registry."""

    path: str
    line: int
    call: str
    test: str
    registry: bool
    form: str
    """nested, early exit, checked (a gating helper that raises), branch task, or abort."""
    more: tuple[tuple[str, int], ...] = ()


def mutation(node: ast.Call, promoters: dict[str, bool], helpers: bool = False) -> bool | None:
    """None when the call changes nothing; else whether it changes a registry (True) or a
    deployment (False). ``promoters``: project functions that do either, by name; any of them
    counts when ``helpers``, else only those named for what they do (``promote``, ``register``): a
    whole training pipeline that registers at its end is not what a gate in front of it approves."""
    name = callee(node)
    if name in REGISTRY_MUTATIONS:
        return True
    if name in promoters and (helpers or words(name) & _PROMOTING_WORDS):
        return promoters[name]
    if name == "set_stage":
        # ``model.set_stage(ModelStages.PRODUCTION)`` (ZenML): ``set_stage`` alone is too common
        # a name, a model stage as its argument is what makes it a promotion
        stages = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "stage")]
        return True if any(_names_stage(a) for a in stages) else None
    if name == "link":
        # ``artifact.link("org/wandb-registry-model/production")``: ``link`` alone is too common a
        # method name, the registry path it is given is what says a version is being promoted.
        return True if node.args and _names_registry(node.args[0]) else None
    if name == "log_model" and any(k.arg == "registered_model_name" for k in node.keywords):
        return True
    if name == "register" and _REGISTER_KWARGS & {k.arg for k in node.keywords}:
        return True
    if name == "create_or_update" and words(dotted(node.func).rpartition(".")[0]) & {"model", "models"}:
        return True  # Azure ML v2: ``ml_client.models.create_or_update(model)`` registers a version
    if name in _TAG_CALLS and words(dotted(node.func).rpartition(".")[0]) & {"model", "models"} \
            and any(_names_live_tag(a) for a in [*node.args, *(k.value for k in node.keywords)]):
        return True  # ``aml_model.add_tags({"prod": True})``: the registry's production tag moved
    return False if name and _DEPLOY_CALL.match(name) else None


#: calls that tag a registered model version (Azure ML, MLflow, SageMaker).
_TAG_CALLS = frozenset({"add_tags", "set_tag", "set_tags", "set_model_version_tag", "remove_tags", "add_tag"})
_LIVE_TAGS = _MODEL_STAGES | {"prod", "champion", "live"}


def _names_live_tag(arg: ast.AST) -> bool:
    """A tag naming a live stage: ``"prod"``, ``{"prod": True}``, ``["production"]``."""
    items = arg.keys if isinstance(arg, ast.Dict) else arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
    return any(isinstance(i, ast.Constant) and isinstance(i.value, str) and i.value.lower() in _LIVE_TAGS for i in items)


def _names_stage(arg: ast.AST) -> bool:
    """``"production"`` or ``ModelStages.PRODUCTION``: a model version stage."""
    word = arg.value if isinstance(arg, ast.Constant) else arg.attr if isinstance(arg, ast.Attribute) else None
    return isinstance(word, str) and word.lower() in _MODEL_STAGES


def _names_registry(arg: ast.AST) -> bool:
    parts = arg.values if isinstance(arg, ast.JoinedStr) else [arg]
    return any(isinstance(p, ast.Constant) and isinstance(p.value, str) and _REGISTRY_TARGET.search(p.value)
               for p in parts)


def promoting_functions(modules: Iterable[Module]) -> dict[str, bool]:
    """Project functions that change the registry (True) or a deployment (False), directly or
    through each other, a few levels deep."""
    bodies = [fn for module in modules for fn in module.all_functions()]
    # an in-house registry's alias: a helper named for the live version that re-points a link
    promoters: dict[str, bool] = {fn.name: False for fn in bodies if moves_live_pointer(fn.name, fn.node)}
    # each call read once: its name, and what it changes by itself (no project helper involved)
    calls = {id(fn): [(callee(n), mutation(n, {}, helpers=True)) for n in own_nodes(fn.node) if isinstance(n, ast.Call)]
             for fn in bodies}
    for _ in range(4):
        grown = {}
        for fn in bodies:
            if fn.name in promoters:
                continue
            kinds = {promoters[name] if name in promoters and name not in REGISTRY_MUTATIONS else kind
                     for name, kind in calls[id(fn)]} - {None}
            if kinds:
                grown[fn.name] = True in kinds
        if not grown:
            break
        promoters.update(grown)
    return promoters


def moves_live_pointer(name: str, node: ast.AST) -> bool:
    """``set_alias(root, "champion", version)`` re-pointing a symlink: which version is live."""
    return bool(words(name) & _LIVE_POINTERS) and any(
        isinstance(n, ast.Call) and callee(n) in ("symlink", "symlink_to") for n in own_nodes(node))


def _is_gate(test: ast.AST, verdicts: set[str], strings: bool = True) -> bool:
    """An evaluation gate names a metric or a verdict (``rmse < best``, ``candidate_accepted``,
    ``verdict["verdict"] == "blocked"``), or tests a name holding an evaluation's result. With
    ``strings`` a metric named in a string counts too (``prod_metrics["val_r2"] > r2``)."""
    nodes = walk(test)  # (walked once: gates are asked of every ``if`` of the modules that promote)
    bare = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else test
    if isinstance(bare, (ast.Name, ast.Attribute)) and _SELECTED.match(bare.id if isinstance(bare, ast.Name) else bare.attr):
        return False  # ``if not best_run:``: whether any run was selected, not how good it is
    if _names_only(nodes):
        return False  # ``metric in FORBIDDEN_KEYS``: which metric was chosen, not what it measured
    # ``best_score is None``: whether an evaluation ran, not what it found (``approved is not
    # True`` is a verdict)
    unset = {id(n) for c in nodes if isinstance(c, ast.Compare) and all(isinstance(o, (ast.Is, ast.IsNot)) for o in c.ops)
             and all(isinstance(x, ast.Constant) and x.value is None for x in c.comparators) for n in walk(c)}
    # a setting read off a configuration object (``config.promote_to``, ``args.auto_promote``) is
    # someone's choice, not what an evaluation found
    unset |= {id(n) for a in nodes if isinstance(a, ast.Attribute) and words(dotted(a).split(".")[0]) & _CONFIG_WORDS
              for n in walk(a)}
    # a sanity check's result (``sanity.passed``) says the artifact loads, not how good it is
    unset |= {id(n) for a in nodes if isinstance(a, (ast.Name, ast.Attribute))
              and words(dotted(a).split(".")[0] if isinstance(a, ast.Attribute) else a.id) & _INTEGRITY_CHECKS
              for n in walk(a)}
    # ... and so is the value it is compared with (``args.command == "promote-canary"``: a subcommand)
    unset |= {id(n) for c in nodes if isinstance(c, ast.Compare) and id(c.left) in unset
              for x in c.comparators for n in walk(x)}
    for node in nodes:
        if id(node) in unset:
            continue
        word = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else \
            node.value if strings and isinstance(node, ast.Constant) and isinstance(node.value, str) else None
        if word and _SWITCH.match(word):
            continue  # ``if auto_promote:`` is a switch someone set, not what an evaluation found
        if word and (_GATE_WORD.search(word) or word in verdicts):
            return True
    return False


def _names_only(nodes: Sequence[ast.AST]) -> bool:
    """The condition (its walked ``nodes``) only asks whether a name is among others, or how it
    starts (``metric in FORBIDDEN_KEYS or metric.startswith("acc")``, ``metric not in metrics``):
    an argument or a key checked, no measurement compared (``verdict == "blocked"`` and
    ``rmse < best`` are)."""
    compares = [n for n in nodes if isinstance(n, ast.Compare)]
    calls = [n for n in nodes if isinstance(n, ast.Call)]
    # ``STAGES & set(aliases)``: the names shared with a constant set of names
    shared = [n for n in nodes if isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitAnd)
              and any(isinstance(x, ast.Name) and x.id.isupper() for x in (n.left, n.right))]
    if not compares and not shared:
        return False
    return all(isinstance(op, (ast.In, ast.NotIn)) for c in compares for op in c.ops) \
        and all(callee(c) in ("startswith", "endswith", "lower", "set", "frozenset") for c in calls)


def _verdict_names(project: Project, module: Module, scope: ast.AST, tests: set[str]) -> set[str]:
    """Names a gate may test that hold an evaluation's result: assigned from an evaluation call
    (``ok = evaluate(model)``, ``check_model_performance(...)``; a check or validation of anything
    else, ``check_file_availability(...)``, is none), or from (or being) a project function that
    returns a metric comparison (a policy in another module). ``tests``: names used in the scope's
    ``if`` tests."""
    out = _failures_collected(scope) & tests
    for node in own_nodes(scope):
        call = node.value if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) else \
            node if isinstance(node, ast.Call) and callee(node) in tests else None
        if call is None or not callee(call):
            continue
        targets = {t.id for t in node.targets if isinstance(t, ast.Name)} if isinstance(node, ast.Assign) \
            else {str(callee(call))}
        if not targets & tests or words(callee(call) or "") & _INTEGRITY_CHECKS:
            continue  # (a sanity check of the artifact's format judges nothing of the model's quality)
        if _evaluates(call):
            out |= targets
            continue
        owner = dotted(call.func).rpartition(".")[0].split(".")[-1] or None
        _, fns = project.resolve(module, str(callee(call)), owner)
        if any(_returns_comparison(f.node) for f in fns[:3]):
            out |= targets
    return out


def _failures_collected(scope: ast.AST) -> set[str]:
    """Lists filled where a metric misses its bar (``if rmse > threshold: errors.append(...)``): a
    later ``if errors: return`` tests the evaluation's verdict."""
    out = set()
    for node in own_nodes(scope):
        if isinstance(node, ast.If) and _compares_metric(node.test):
            out |= {dotted(sub.func.value) for stmt in node.body for sub in [stmt, *own_nodes(stmt)]
                    if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
                    and sub.func.attr in ("append", "add", "extend") and isinstance(sub.func.value, ast.Name)}
    return out


def _evaluates(call: ast.Call) -> bool:
    """An evaluation call (``gate``, ``evaluate``, ``compare``...), or a check or validation of a
    model or its metrics (``validate_model``, ``evaluator.check``, ``model_checks.validate``)."""
    named = words(callee(call) or "")
    # ``should_register_new_model(test_set=...)`` decides on the model given what to judge it on;
    # ``should_register_model()`` with nothing to judge reads a flag
    decides = "should" in named and bool(call.args or call.keywords)
    return bool(named & _EVALUATION_CALLS or decides
                or named & _CHECK_CALLS and words(dotted(call.func) or callee(call) or "") & _MODEL_SUBJECTS)


def _returns_comparison(fn: ast.AST) -> bool:
    return any(isinstance(n, ast.Return) and isinstance(n.value, (ast.Compare, ast.BoolOp))
               and _is_gate(n.value, set()) for n in own_nodes(fn))


def _stops(body: list[ast.stmt]) -> bool:
    return any(isinstance(s, (ast.Return, ast.Raise, ast.Continue)) or isinstance(s, ast.Call)
               and callee(s) in _ABORTS for stmt in body for s in [stmt, *own_nodes(stmt)])


def _mutations(nodes: Iterable[ast.AST], promoters: dict[str, bool]) -> Iterator[tuple[ast.Call, bool]]:
    for stmt in nodes:
        for sub in [stmt, *own_nodes(stmt)]:
            if isinstance(sub, ast.Call):
                kind = mutation(sub, promoters)
                if kind is not None:
                    yield sub, kind


def gated_calls(project: Project, module: Module, promoters: dict[str, bool],
                tasks: frozenset[str] | set[str] = frozenset()) -> Gate | None:
    """The first change of the module that runs only behind an evaluation gate."""
    if not tasks and not any(isinstance(n, ast.Call) and mutation(n, promoters) is not None for n in walk(module.tree)):
        return None  # nothing in the module changes a registry or a deployment: nothing to gate
    found: list[Gate] = []
    scopes = [fn.node for fn in module.all_functions()] + [module.tree]
    for scope in scopes:
        tests = {n.id if isinstance(n, ast.Name) else n.attr for node in own_nodes(scope) if isinstance(node, ast.If)
                 for n in walk(node.test) if isinstance(n, (ast.Name, ast.Attribute))}
        verdicts = _verdict_names(project, module, scope, tests) if tests else set()
        for node in own_nodes(scope):
            if isinstance(node, ast.If) and _is_gate(node.test, verdicts):
                found += _guarded(module.path, node, promoters, tasks)
        # ``if verdict == "blocked": return`` ... then the change, later in the same block
        for block in [s for s in [scope, *own_nodes(scope)] if hasattr(s, "body")]:
            for field in ("body", "orelse", "finalbody"):
                stmts = getattr(block, field, None)
                if isinstance(stmts, list):
                    found += _early_exit(module.path, stmts, promoters, verdicts,
                                         lambda stmt: _gating_call(project, module, stmt))
    return min(found, key=lambda g: g.line) if found else None


def _guarded(path: str, node: ast.If, promoters: dict[str, bool], tasks: frozenset[str] | set[str]) -> list[Gate]:
    test = source(node.test)
    out = [Gate(path, call.lineno, str(callee(call)), test, kind, "nested")
           for call, kind in _mutations(node.body + node.orelse, promoters)]
    for stmt in node.body + node.orelse:
        for sub in [stmt, *own_nodes(stmt)]:
            if isinstance(sub, ast.Return) and isinstance(sub.value, ast.Constant) and sub.value.value in tasks:
                out.append(Gate(path, sub.lineno, f"task {sub.value.value}", test, True, "branch task"))
    return out


def _gating_call(project: Project, module: Module, stmt: ast.stmt) -> bool:
    """``ensure_promotable_decision(decision)``: a call, as a statement, to a project function
    named for the gate that raises or exits when its condition fails."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    name = callee(stmt.value)
    if not name or not _GATE_WORD.search(name):
        return False
    owner = dotted(stmt.value.func).rpartition(".")[0].split(".")[-1] or None
    _, fns = project.resolve(module, name, owner)
    # a return only leaves the helper: the caller goes on; a raise or an exit stops it
    return any(isinstance(n, ast.If) and _raises(n.body) for fn in fns[:3] for n in own_nodes(fn.node))


def _raises(body: list[ast.stmt]) -> bool:
    return any(isinstance(s, ast.Raise) or isinstance(s, ast.Call) and callee(s) in _ABORTS
               for stmt in body for s in [stmt, *own_nodes(stmt)])


def _early_exit(path: str, stmts: list[ast.stmt], promoters: dict[str, bool], verdicts: set[str],
                gating: Callable[[ast.stmt], bool] = lambda stmt: False) -> list[Gate]:
    out = []
    for i, stmt in enumerate(stmts):
        if gating(stmt):
            out += [Gate(path, call.lineno, str(callee(call)), source(stmt.value), kind, "checked",
                         ((path, stmt.lineno),)) for call, kind in _mutations(stmts[i + 1:], promoters)]
            continue
        # an early exit on a string (``if alias not in {"champion", ...}: raise``) checks arguments
        if isinstance(stmt, ast.If) and _is_gate(stmt.test, verdicts, strings=False) and _stops(stmt.body):
            test = source(stmt.test)
            out += [Gate(path, call.lineno, str(callee(call)), test, kind, "early exit", ((path, stmt.lineno),))
                    for call, kind in _mutations(stmts[i + 1:], promoters)]
    return out


def promoting_tasks(modules: Iterable[Module], promoters: dict[str, bool]) -> set[str]:
    """Ids of pipeline tasks (``PythonOperator(task_id=..., python_callable=...)``) that run a
    project function changing the registry."""
    tasks = set()
    for module in modules:
        for node in walk(module.tree):
            if isinstance(node, ast.Call):
                kwargs = {k.arg: k.value for k in node.keywords}
                task, target = kwargs.get("task_id"), kwargs.get("python_callable")
                name = dotted(target).rsplit(".", 1)[-1] if target is not None else None
                if isinstance(task, ast.Constant) and isinstance(task.value, str) and name in promoters:
                    tasks.add(task.value)
    return tasks


def registers_models(modules: Iterable[Module]) -> bool:
    """Some module changes a model registry, in a function or at its top level (a pipeline step
    script such as ``Model.register(...)``)."""
    return any(isinstance(n, ast.Call) and mutation(n, {}) is True for m in modules for n in walk(m.tree))


def abort_gates(project: Project) -> Iterator[Gate]:
    """An evaluation step that cancels, fails or exits its run when a metric does not clear its bar
    (``if new_mse < prod_mse: ... else: run.parent.cancel()``): the registration later in the
    pipeline never happens."""
    compared = {m.path for m in project.modules("cancel(", "exit(", "raise ", "fail(", pattern=_METRIC_COMPARISON)}
    for module in project.modules("cancel(", "exit(", "raise ", "fail("):
        for fn in [*module.all_functions(), None]:
            scope = fn.node if fn else module.tree
            if fn is not None and any(words(c) & {"fit", "train"} for c in fn.calls):
                continue  # a guard inside training code watches the run, it does not approve a model
            for node in own_nodes(scope):
                # (a metric compared in the module's text, or a verdict asked of a project function)
                if isinstance(node, ast.If) and (_aborts(node.body) or _aborts(node.orelse)) \
                        and (module.path in compared and _compares_metric(node.test)
                             or _verdict_of(project, module, node.test)):
                    yield Gate(module.path, node.lineno, "the run", source(node.test), False, "abort")
                    break


#: names holding a decision to deploy (``deployment_decision``, ``deploy_ok``, ``approved``).
_DECISION_WORDS = frozenset({"decision", "decide", "deploy", "deployment", "approve", "approved", "passed", "accept",
                             "accepted", "promote"})


def decision_gates(project: Project) -> Iterator[Gate]:
    """A pipeline handing an evaluation's verdict to its deployer step, ZenML's form
    (``deployment_decision = deployment_trigger(accuracy)``, then ``model_deployer(deployment_decision,
    model)``, as ``mlflow_model_deployer_step`` takes it): the step deploys only when the verdict
    holds. The verdict comes from an evaluation call or a project function returning a metric
    comparison, and is named for a decision."""
    for module in project.modules("deploy"):
        for fn in [*module.all_functions(), None]:
            scope = fn.node if fn else module.tree
            verdicts: set[str] = set()
            for node in own_nodes(scope):
                if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and callee(node.value)):
                    continue
                names = {t.id for target in node.targets for t in ([target, *getattr(target, "elts", [])])
                         if isinstance(t, ast.Name) and words(t.id) & _DECISION_WORDS}
                call = node.value
                owner = dotted(call.func).rpartition(".")[0].split(".")[-1] or None
                if names and (_evaluates(call) or words(str(callee(call))) & {"trigger", "decide", "decision"}
                              or any(_returns_verdict(f.node) for f in project.resolve(module, str(callee(call)), owner)[1][:3])):
                    verdicts |= names
            for node in own_nodes(scope) if verdicts else ():
                if isinstance(node, ast.Call) and any(w.startswith("deploy") for w in words(callee(node) or "")) \
                        and any(isinstance(a, ast.Name) and a.id in verdicts for a in [*node.args, *(k.value for k in node.keywords)]):
                    yield Gate(module.path, node.lineno, str(callee(node)), sorted(verdicts)[0], False, "deploy decision")
                    return


def _verdict_of(project: Project, module: Module, test: ast.AST) -> bool:
    """``if is_new_model_better(run, old_model):``: the test calls a project function returning a
    metric comparison (negated or not)."""
    call = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else test
    if not (isinstance(call, ast.Call) and callee(call)):
        return False
    owner = dotted(call.func).rpartition(".")[0].split(".")[-1] or None
    return any(_returns_verdict(f.node) for f in project.resolve(module, str(callee(call)), owner)[1][:3])


def _returns_verdict(fn: ast.AST) -> bool:
    """The function returns a metric comparison, alone, cast to bool or among a tuple of outputs,
    or a name it bound to one (``is_better = new >= old`` then ``return is_better``)."""
    bound = {t.id: n.value for n in own_nodes(fn) if isinstance(n, ast.Assign)
             for t in n.targets if isinstance(t, ast.Name)}
    for node in own_nodes(fn):
        if isinstance(node, ast.Return) and node.value is not None:
            parts = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            for part in parts:
                if isinstance(part, ast.Call) and callee(part) == "bool" and part.args:
                    part = part.args[0]
                if isinstance(part, ast.Name) and part.id in bound:
                    part = bound[part.id]
                if isinstance(part, (ast.Compare, ast.BoolOp)) and _is_gate(part, set()):
                    return True
    return False


def _aborts(body: list[ast.stmt]) -> bool:
    return any(isinstance(s, ast.Raise) or isinstance(s, ast.Call) and callee(s) in _ABORTS
               and not (callee(s) == "exit" and s.args and isinstance(s.args[0], ast.Constant) and not s.args[0].value)
               for stmt in body for s in [stmt, *own_nodes(stmt)])


_PRESENCE = (ast.In, ast.NotIn, ast.Is, ast.IsNot)


def _compares_metric(test: ast.AST) -> bool:
    """``new_mse < production_mse`` or ``score < threshold`` or ``accuracy < 0.8``."""
    for node in walk(test):
        if not isinstance(node, ast.Compare) or len(node.comparators) != 1 or isinstance(node.ops[0], _PRESENCE):
            continue  # ``metric_name not in metrics``, ``score is None``: a value looked for, no bar
        sides = [node.left, node.comparators[0]]
        if any(isinstance(s, ast.Call) and callee(s) == "len" for s in sides):
            continue  # ``len(metric_values) == 1`` counts entries, it clears no bar
        named = [words(dotted(s) or source(s)) for s in sides]
        metric = [bool(w & _METRICS) for w in named]
        constant = [isinstance(s, ast.Constant) and isinstance(s.value, (int, float)) for s in sides]
        if any(metric) and (all(metric) or any(w & _BARS for w in named) or any(constant)):
            return True
    return False


#: registry changes that move what serves (an alias, a stage), not a registration that only adds a version
_MOVES = frozenset({"set_registered_model_alias", "transition_model_version_stage", "set_prompt_alias"})


def automated_moves(ctx: ScanContext, proj: Project) -> Iterator[tuple[str, int, str, str]]:
    """(path, line, call, runner) of registry alias or stage moves that a pipeline makes on its own:
    in a module of an orchestrator's pipeline (one importing Airflow, Prefect, Kubeflow...) or in
    one its tasks import. A move in a command-line tool run by hand, or one made only when a
    configuration value asks for it (``if cfg.promote_to:``), is someone's decision."""
    importers = pipeline_importers(ctx)
    for module in proj.modules(*_MOVES):
        facts = ctx.python(module.path)
        tool = facts.imports_any(ORCHESTRATORS) if facts is not None else None
        pipelines = importers.get(module.path, [])
        if not tool and not pipelines:
            continue
        # in a module a pipeline imports, the move must be reached from a function a pipeline
        # names (calls, or hands to a task), not merely sit in the imported module
        used = {path: _IMPORT_LINE.sub("", ctx.text(path) or "") for _, path, _ in pipelines} if not tool else {}
        named = {id(f.node): f for f in module.all_functions()
                 for path, text in used.items() if re.search(rf"\b{re.escape(f.name)}\b", text)}
        run = {id(f.node) for f in module.reach(named.values())} if named else set()
        for node in walk(module.tree):
            if not (isinstance(node, ast.Call) and callee(node) in _MOVES) or _chosen_by_config(module, node) \
                    or _candidate_alias(node):
                continue
            fn = module.enclosing(node.lineno)
            if tool and (fn is None or _used(proj, module, fn)) or fn is not None and id(fn.node) in run:
                yield module.path, node.lineno, str(callee(node)), \
                    f"{tool.split('.')[0]} pipeline {module.path}" if tool else _runner(pipelines, used, module, fn)
                break


def _candidate_alias(call: ast.Call) -> bool:
    """An alias that marks a candidate (``alias=f"challenger{version}"``): a label on the new
    version, not the pointer serving follows."""
    alias = next((kw.value for kw in call.keywords if kw.arg == "alias"), call.args[1] if len(call.args) > 1 else None)
    text = "".join(str(n.value) for n in walk(alias) if isinstance(n, ast.Constant)) if alias is not None else ""
    return text.lower().startswith(_CANDIDATE_ALIASES)


_CANDIDATE_ALIASES = ("challenger", "candidate", "contender")


def _used(proj: Project, module: Module, fn: Function) -> bool:
    """A function something runs: a decorated step or task, or one called or handed on by another
    function of its module, or named by another module of the project (a helper nobody calls
    moves nothing)."""
    if fn.node.decorator_list:
        return True
    if any(fn.name in (other.calls | other.handed) for other in module.all_functions() if other.node is not fn.node):
        return True
    top = {n.id for stmt in module.tree.body if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
           for n in walk(stmt) if isinstance(n, ast.Name)}
    return fn.name in top or any(m.path != module.path for m in proj.modules(fn.name))


def _runner(pipelines: list[tuple[str, str, int | None]], used: dict[str, str], module: Module, fn) -> str:
    """The pipeline whose text names a function of ``module`` (the first that does)."""
    names = [f.name for f in module.all_functions()]
    return next((what for what, path, _ in pipelines
                 if any(re.search(rf"\b{re.escape(n)}\b", used.get(path, "")) for n in names)), pipelines[0][0])


_IMPORT_LINE = re.compile(r"^\s*(from\s+\S+\s+)?import\b.*$", re.M)


def _chosen_by_config(module: Module, call: ast.Call) -> bool:
    """The call sits under an ``if`` that reads only configuration or arguments."""
    for node in walk(module.tree):
        if isinstance(node, ast.If) and node.lineno < call.lineno <= (node.end_lineno or node.lineno) \
                and any(n is call for stmt in node.body for n in walk(stmt)):
            read = {w for n in walk(node.test) for w in words(dotted(n) if isinstance(n, (ast.Name, ast.Attribute)) else "")}
            if read & _CONFIG_WORDS:
                return True
    return False


_CONFIG_WORDS = frozenset({"config", "cfg", "conf", "args", "settings", "params", "options", "opts"})
