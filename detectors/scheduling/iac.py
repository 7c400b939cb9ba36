"""Schedules declared as infrastructure: Kubernetes CronJobs, cron rules of Terraform (EventBridge
rules and schedules, Cloud Scheduler jobs) and of the AWS CDK (``events.Rule(schedule=...)``),
systemd timers, and the entries of crontab files.

What such a schedule runs is read from its job: the container's command (and the project script
it starts), or the resources a rule targets (their names, handlers and URLs).
"""
from __future__ import annotations

import ast
import re
from typing import Callable, Iterator

from detectors.flow import Project, callee, dotted, expression_names, source
from detectors.scheduling.job import Schedule
from detectors.shapes import as_str, dicts, get_in
from detectors.tools import is_template_path
from scanner.detector import ParseError, ScanContext
from scanner.parsing.hcl import resource_blocks, strip_comments
from scanner.parsing.python import walk as walk_tree
from scanner.parsing.structured import walk

MAX_YAML_BYTES = 512 * 1024
_SPLIT = re.compile(r"[^A-Za-z0-9_]+")
#: Terraform resources that fire on a schedule, and the attribute holding it.
_TF_RULES = {"aws_cloudwatch_event_rule": "schedule_expression", "aws_scheduler_schedule": "schedule_expression",
             "google_cloud_scheduler_job": "schedule"}
_TF_REF = re.compile(r"\b([a-z][\w]*)\.([\w-]+)\.(?:arn|name|id|invoke_arn|url|function_name)\b")
_TF_STRING = re.compile(r'"([^"\n]*)"')
_PYTHON_ARG = re.compile(r"\.py$")
#: the words of a command, without the quotes and brackets of an exec-form list.
_COMMAND_WORD = re.compile(r"""[^\s"',\[\]]+""")
_CRON_LINE = re.compile(r"^\s*(@\w+|(?:[\d*/,\-]+\s+){4}[\w*/,\-]+)\s+(\S.*)$")


def iac_schedules(ctx: ScanContext, project: Project) -> Iterator[Schedule]:
    """CronJobs, Terraform cron rules, CDK schedule rules and systemd timers of the repository."""
    for path in ctx.files():
        if is_template_path(path):
            continue
        low = path.lower()
        if low.endswith((".yaml", ".yml")):
            yield from _cronjobs(ctx, project, path)
        elif low.endswith(".tf"):
            yield from _terraform(ctx.text(path) or "", path)
        elif low.endswith(".timer"):
            yield from _systemd_timer(ctx, project, path)
    for module in project.modules("aws_cdk"):
        yield from _cdk(module.path, module.tree)


def names_in(text: str) -> list[str]:
    """Identifier-like pieces of free text (``python -m jobs.retrain`` -> python, m, jobs, retrain)."""
    return [p for p in _SPLIT.split(text) if p]


# -- Kubernetes --------------------------------------------------------------------------------------

def _cronjobs(ctx: ScanContext, project: Project, path: str) -> Iterator[Schedule]:
    if ctx.repo is None or ctx.repo.size(path) > MAX_YAML_BYTES:
        return
    text = ctx.text(path) or ""
    if not re.search(r"^kind:\s*CronJob\b", text, re.M):
        return
    try:
        docs = ctx.structured(path)
    except ParseError:
        return  # Helm-templated manifests: nothing readable to follow
    line = text.count("\n", 0, re.search(r"^kind:\s*CronJob\b", text, re.M).start()) + 1
    for doc in dicts(docs):
        if doc.get("kind") != "CronJob":
            continue
        spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
        commands = container_commands(spec)
        does = names_in(as_str(get_in(doc, "metadata", "name"))) + names_in(" ".join(commands))
        for script in command_scripts(project, commands):
            module = project.module(script)
            if module is not None:
                does += [f.name for f in module.all_functions()] + sorted(
                    {c for f in module.all_functions() for c in f.calls})
        job = " ".join(commands)[:60] or as_str(get_in(doc, "metadata", "name"))
        yield Schedule("Kubernetes CronJob", job, f"on '{as_str(spec.get('schedule'))}'", path, line,
                       tuple(sorted(set(does))))


def container_commands(spec: dict) -> list[str]:
    """Command and args of every container of a Job's or CronJob's pod template."""
    out = []
    for key_path, value in walk(spec):
        if key_path and key_path[-1] in ("command", "args"):
            out += [as_str(v) for v in (value if isinstance(value, list) else [value]) if as_str(v)]
    return out


def command_scripts(project: Project, commands: list[str]) -> list[str]:
    """Project modules a command runs (``python jobs/retrain.py``, ``python -m jobs.retrain``, an
    exec-form ``["python", "jobs/retrain.py"]``). A script named by a path inside an image or on a
    host (``/app/jobs/retrain.py``) is the project's module of that path's longest known tail."""
    words = _COMMAND_WORD.findall(" ".join(commands))
    found = []
    for i, word in enumerate(words):
        if _PYTHON_ARG.search(word):
            parts = word[:-3].split("/")
            found.append(next((project.index[m] for m in (".".join(parts[j:]) for j in range(len(parts)))
                               if m in project.index), None))
        elif word == "-m" and i + 1 < len(words):
            found.append(project.index.get(words[i + 1]))
    return [p for p in found if p]


# -- crontab files -----------------------------------------------------------------------------------

def is_cron_file(path: str) -> bool:
    """crontab files, *.cron, and files in a cron.d folder."""
    low = path.lower()
    base = low.rsplit("/", 1)[-1]
    return base in ("crontab", "cronfile") or base.endswith((".cron", ".crontab")) or "/cron.d/" in "/" + low


def cron_entries(text: str) -> Iterator[tuple[int, str]]:
    """(line, command) of every entry of a crontab (comments and variable settings are none)."""
    for i, line in enumerate(text.splitlines(), 1):
        m = _CRON_LINE.match(line)
        if m and not line.lstrip().startswith("#"):
            yield i, m.group(2)


# -- systemd timers ----------------------------------------------------------------------------------

#: timer settings that fire it (a calendar, or a period after boot or after its last run)
_TIMER_FIRES = ("OnCalendar", "OnUnitActiveSec", "OnUnitInactiveSec", "OnBootSec", "OnStartupSec", "OnActiveSec")


def _systemd_timer(ctx: ScanContext, project: Project, path: str) -> Iterator[Schedule]:
    """A systemd timer unit that fires on its own, running the ``ExecStart`` commands of the service
    it activates (``Unit=``, else the service of its own name, beside it or anywhere)."""
    timer = _unit_settings(ctx.text(path) or "")
    fires = [(key, line, value) for key, (line, value) in timer.items() if key in _TIMER_FIRES]
    if not fires:
        return
    service = timer.get("Unit", (0, ""))[1] or path.rsplit("/", 1)[-1][:-len(".timer")] + ".service"
    beside = f"{path.rsplit('/', 1)[0]}/{service}" if "/" in path else service
    unit = beside if ctx.repo is not None and ctx.repo.exists(beside) else \
        next((p for p in ctx.files() if p.rsplit("/", 1)[-1] == service), None)
    if unit is None:
        return
    commands = [value.lstrip("-@+!:") for key, value in _unit_lines(ctx.text(unit) or "") if key == "ExecStart"]
    if not commands:
        return
    does = names_in(service) + names_in(" ".join(commands))
    for script in command_scripts(project, commands):
        module = project.module(script)
        if module is not None:
            does += [f.name for f in module.all_functions()]
    key, line, value = fires[0]
    yield Schedule("systemd timer", commands[0][:60], f"{key}={value}", path, line, tuple(sorted(set(does))))


def _unit_lines(text: str) -> list[tuple[str, str]]:
    """(key, value) of a systemd unit file's settings, in order (comments and sections left out)."""
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, _, value = line.partition("=")
            out.append((key.strip(), value.strip()))
    return out


def _unit_settings(text: str) -> dict[str, tuple[int, str]]:
    """Setting -> (line, value) of a unit file (the first of each)."""
    out: dict[str, tuple[int, str]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        for key, value in _unit_lines(raw):
            out.setdefault(key, (number, value))
    return out


# -- Terraform ---------------------------------------------------------------------------------------

def _terraform(text: str, path: str) -> Iterator[Schedule]:
    if not any(kind in text for kind in _TF_RULES):
        return
    code = re.sub(r"(?m)^\s*(#|//).*$", "", text)
    blocks = resource_blocks(code)
    for (kind, label), (line, body) in sorted(blocks.items()):
        attr = _TF_RULES.get(kind)
        m = re.search(rf"^\s*{attr}\s*=\s*\"([^\"]+)\"", body, re.M) if attr else None
        if not m:
            continue
        # a rule's targets live in its own body (Scheduler, Cloud Scheduler) or in target blocks
        # that name it (EventBridge)
        bodies = [body] + [b for (k, _), (_, b) in blocks.items()
                           if k.endswith("_target") and re.search(rf"\b{kind}\.{re.escape(label)}\b", b)]
        does = names_in(label)
        for b in bodies:
            does += names_in(" ".join(_TF_STRING.findall(b)))
            for ref_kind, ref_label in _TF_REF.findall(b):
                does += names_in(ref_label)
                target = blocks.get((ref_kind, ref_label))
                if target and ref_kind != kind:
                    does += names_in(" ".join(_TF_STRING.findall(target[1])))
        yield Schedule(f"Terraform {kind}", label, f"on '{m.group(1)}'", path, line, tuple(sorted(set(does))))


# -- AWS CDK (Python) -------------------------------------------------------------------------------

def _cdk(path: str, tree: ast.AST) -> Iterator[Schedule]:
    """``events.Rule(schedule=...)`` and the rules a construct's ``on_*`` helpers make with a
    schedule (``stage.on_state_change(schedule=...)``)."""
    for node, var, does in _cdk_rules(tree, lambda call: _schedule_of(call) is not None):
        label = next((a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)),
                     var or "rule")
        yield Schedule("CDK events.Rule", label, f"on {source(_schedule_of(node), 50)}", path, node.lineno, does)


def _schedule_of(call: ast.Call) -> ast.Call | None:
    """The ``schedule=events.Schedule.cron/rate/expression(...)`` of a rule-making call."""
    name = str(callee(call) or "")
    if name != "Rule" and not name.startswith("on_"):
        return None
    schedule = next((k.value for k in call.keywords if k.arg == "schedule"), None)
    return schedule if isinstance(schedule, ast.Call) and callee(schedule) in ("cron", "rate", "expression") else None


def _cdk_rules(tree: ast.AST, is_rule: Callable[[ast.Call], bool]) -> Iterator[tuple[ast.Call, str, tuple[str, ...]]]:
    """(call, the variable it is assigned to, what it starts) of the CDK event rules ``is_rule``
    picks. What a rule starts is read from its targets: given to it, added to it, or handed with
    the rule to a project helper (``add_sagemaker_pipeline_target(rule, ...)``)."""
    calls = [n for n in walk_tree(tree) if isinstance(n, ast.Call)]
    assigned: dict[int, str] = {}
    for node in walk_tree(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            assigned.update({id(node.value): dotted(t) for t in node.targets if dotted(t)})
    for node in calls:
        if not is_rule(node):
            continue
        var = assigned.get(id(node), "")
        uses = [c for c in calls if var and (dotted(c.func).startswith(var + ".")
                                             or any(dotted(a) == var for a in c.args))]
        started = [*node.args, *(k.value for k in node.keywords if k.arg not in ("schedule", "event_pattern")), *uses]
        does = [p for n in started for s in expression_names(n) for p in names_in(s)]
        does += [p for c in uses for p in names_in(str(callee(c)))]
        yield node, var, tuple(sorted(set(does)))


# -- rules that fire on an alarm ---------------------------------------------------------------------

#: an EventBridge event pattern matching a CloudWatch alarm going off.
_ALARM_EVENT = re.compile(r"CloudWatch Alarm State Change")


def alarm_rules(ctx: ScanContext, project: Project) -> Iterator[Schedule]:
    """Event rules that start something when an alarm goes off (EventBridge rules on a CloudWatch
    alarm state change, in the CDK, Terraform or CloudFormation): what they start is read from
    their targets."""
    for path in ctx.files():
        low = path.lower()
        if is_template_path(path) or not low.endswith((".tf", ".yaml", ".yml", ".json", ".template")):
            continue
        if ctx.repo is None or ctx.repo.size(path) > MAX_YAML_BYTES:
            continue
        if low.endswith(".tf"):
            text = strip_comments(ctx.text(path) or "")
            if _ALARM_EVENT.search(text):
                yield from _terraform_alarm_rules(text, path)
        else:
            text = ctx.text(path) or ""
            if (_CFN_RULE in text and _ALARM_EVENT.search(text)) or (_CFN_ALARM in text and "AlarmActions" in text):
                yield from _cloudformation_alarm_rules(ctx, path)
    for module in project.modules("CloudWatch Alarm State Change"):
        yield from _cdk_alarm_rules(module.path, module.tree)


def _cdk_alarm_rules(path: str, tree: ast.AST) -> Iterator[Schedule]:
    for node, var, does in _cdk_rules(tree, _on_alarm):
        yield Schedule("CDK event rule", var or "rule", "on a CloudWatch alarm", path, node.lineno, does)


def _on_alarm(call: ast.Call) -> bool:
    """A rule whose event pattern matches a CloudWatch alarm going off."""
    pattern = next((k.value for k in call.keywords if k.arg == "event_pattern"), None)
    return pattern is not None and any(_ALARM_EVENT.search(s) for s in expression_names(pattern))


_CFN_RULE = "AWS::Events::Rule"
_CFN_ALARM = "AWS::CloudWatch::Alarm"


def _cloudformation_alarm_rules(ctx: ScanContext, path: str) -> Iterator[Schedule]:
    try:
        docs = ctx.structured(path)
    except ParseError:
        return  # recorded in coverage by the readers of templates
    text = ctx.text(path) or ""
    resources = get_in(docs[0] if docs else None, "Resources")
    resources = resources if isinstance(resources, dict) else {}
    for name, res in resources.items():
        if not isinstance(res, dict) or res.get("Type") not in (_CFN_RULE, _CFN_ALARM):
            continue
        props = res.get("Properties") if isinstance(res.get("Properties"), dict) else {}
        if res.get("Type") == _CFN_RULE:
            if not _ALARM_EVENT.search(str(props.get("EventPattern"))):
                continue
            # what the rule starts: its targets' ARNs and ids (``!Sub`` and ``!Ref`` read as plain text)
            started = props.get("Targets")
        else:
            # an alarm's own actions: the function (or topic) it invokes when it goes off
            started = props.get("AlarmActions")
        strings = [v for _, v in walk(started) if isinstance(v, str)]
        does = names_in(name) + [p for v in strings for p in names_in(v)]
        # a function of the template named there: its name and handler say what it runs
        for target in (v for v in strings if isinstance(resources.get(v), dict)):
            does += [p for _, v in walk(resources[target].get("Properties")) if isinstance(v, str) for p in names_in(v)]
        found = re.search(rf'^[ \t]*"?{re.escape(name)}"?[ \t]*:', text, re.M)
        line = text.count("\n", 0, found.start()) + 1 if found else None
        yield Schedule(f"CloudFormation {res.get('Type')}", name, "on a CloudWatch alarm", path, line,
                       tuple(sorted(set(does))))


def _terraform_alarm_rules(text: str, path: str) -> Iterator[Schedule]:
    blocks = resource_blocks(text)
    for (kind, label), (line, body) in sorted(blocks.items()):
        if kind != "aws_cloudwatch_event_rule" or not _ALARM_EVENT.search(body):
            continue
        targets = [b for (k, _), (_, b) in blocks.items()
                   if k.endswith("_target") and re.search(rf"\b{kind}\.{re.escape(label)}\b", b)]
        does = names_in(label) + [p for b in targets for p in names_in(" ".join(_TF_STRING.findall(b)))]
        does += [p for b in targets for _, ref in _TF_REF.findall(b) for p in names_in(ref)]
        yield Schedule("Terraform aws_cloudwatch_event_rule", label, "on a CloudWatch alarm", path, line,
                       tuple(sorted(set(does))))
