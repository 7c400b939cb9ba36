"""Logging and instrumentation in project code: logging set-up, evaluation reports written on
every run, and serving middleware that times requests."""
from __future__ import annotations

import ast
import re

from detectors.flow import callee, dotted, is_route, words
from detectors.monitoring.source import Hit, Source
from scanner.parsing.python import walk

#: generated scaffolding (alembic's env.py calls fileConfig) is not serving or training code.
_SCAFFOLDING = re.compile(r"(^|/)(migrations|alembic)/")
_EVAL_SCRIPT = re.compile(r"(^|[_-])(eval|train)", re.I)  # evaluate.py, model_eval.py, train.py; not retrieval.py
_REPORT_NAMES = re.compile(r"metric|report|score|stats|result")
_REPORT_WRITER = re.compile(r"(?:^|\.)(json\.dumps?|yaml\.dump|yaml\.safe_dump|numpy\.savez?"
                            # a project helper writing JSON (``lib.dump_json(report, path)``)
                            r"|(dump|save|write)_json)$"
                            r"|\.(to_json|to_csv|to_html|save_html|write_text|write)$")
#: an evaluation report (a confusion matrix, an ROC curve, a metrics file) kept with the run by
#: the tracker: the run's record, not a scalar metric
_TRACKER_REPORT = re.compile(r"^mlflow\.(log_artifact|log_figure|log_dict|log_text)$")
_TRACKED_REPORT_NAMES = re.compile(r"confusion|\broc|_roc|report|metric|evaluation|result")
_SCORE_SCRIPT = re.compile(r"(^|[_-])scor(e|ing)", re.I)
#: calls that run a training epoch or an evaluation (``train_one_epoch``, ``evaluate``,
#: ``train_epoch_sparse`` imported under its own name).
_RUNS_TRAINING = re.compile(r"^(train_one_epoch|train_epoch|evaluate|run_epoch|validate_epoch)(_\w+)?$")
#: a training loop and the evaluation after it defined together (an experiment class's
#: ``train(self, setting)`` and ``test(self, setting)``)
_TRAINS = frozenset({"train", "fit"})
_TESTS = frozenset({"test", "evaluate", "validate", "vali", "eval"})
_WEB = ("fastapi", "starlette", "flask", "litestar", "aiohttp", "sanic", "bentoml", "quart")
_SERVER_ARGS = frozenset({"scope", "receive", "send"})
_WSGI_ARGS = frozenset({"environ", "start_response"})
_LATENCY = re.compile(r"latency|duration|elapsed|response_time")


def logging_setup(src: Source) -> Hit | None:
    """Stdlib logging configured: basicConfig/dictConfig/fileConfig, a logger given handlers, or
    absl's logging (TensorFlow, TFX) given its level."""
    if _SCAFFOLDING.search(src.path) or not src.facts.imports_any(("logging", "hydra", "absl")):
        return None
    call = src.call(r"logging\.basicConfig", r"logging\.config\.dictConfig", r"logging\.config\.fileConfig",
                    r"absl\.logging\.set_verbosity")
    handler = src.call(r"logging\.(handlers\.)?\w*Handler")
    if call is None and src.call(r"logging\.getLogger"):
        # a level set on a logger of the module: a serverless runtime (AWS Lambda) gives the root
        # logger its handler, the code chooses what reaches it
        call = handler or src.call(r"\.addHandler") or src.call(r"\.setLevel")
    elif call is None and handler and src.call(r"\.addHandler"):
        # a project Logger subclass (or logging.Logger(...)) built with its own handlers
        call = handler
    if call is None:
        # Hydra configures stdlib logging for every @hydra.main app: console and a log file per run
        hydra = src.call(r"hydra\.main")
        return Hit(src.path, hydra.line, "logging configured by Hydra (@hydra.main: a log file per run)") if hydra else None
    return Hit(src.path, call.line, f"logging configured ({call.name})")


#: a log record emitted through stdlib logging (a module-level call or a ``getLogger`` logger) or loguru
_LOG_RECORD = re.compile(r"^(logging\.(getLogger\.)?|loguru\.logger\.)(debug|info|warning|warn|error|exception|critical|log)$")


def log_records(src: Source) -> Hit | None:
    """A module that writes log records at two places or more (``logger.warning(...)`` on a failed
    dependency, ``logging.warning(json.dumps(stats))`` per epoch): even unconfigured, stdlib
    logging prints warnings and errors, and the server or job runner keeps them. One stray call
    is no practice."""
    if _SCAFFOLDING.search(src.path) or not src.facts.imports_any(("logging", "loguru")):
        return None
    calls = [c for c in src.facts.calls if _LOG_RECORD.match(c.name)]
    if len({c.line for c in calls}) < 2:
        return None
    return Hit(src.path, calls[0].line, f"log records written ({calls[0].name.rsplit('.', 1)[-1]}, {len(calls)} calls)")


#: a function of the project's own that writes log lines (``write_log``, ``Fitter.log``, ``log_to_file``)
_LOG_HELPER = re.compile(r"(^|_)log(s|ger|ging)?(_|$)")


def log_file(src: Source) -> Hit | None:
    """Log lines appended to a file each run: by a log helper of the project's own (``write_log``,
    ``Fitter.log``), or to a file named for its log (``loss_log.txt``, ``train.log``): logging
    without the logging module, kept per run all the same."""
    if "log" not in src.lower or ".write(" not in src.text:
        return None
    tree = src.tree
    named = any(isinstance(n, ast.Constant) and isinstance(n.value, str) and _LOG_FILE_NAME.search(n.value)
                for n in walk(tree)) if tree is not None else False
    for node in walk(tree) if tree is not None else ():
        if node.__class__ not in (ast.FunctionDef, ast.AsyncFunctionDef) or not (
                named or _LOG_HELPER.search(node.name.lower())):
            continue
        opened = [n for n in walk(node) if isinstance(n, ast.Call) and dotted(n.func) == "open" and _appends(n)]
        writes = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "write"
                     for n in walk(node))
        if opened and writes:
            return Hit(src.path, opened[0].lineno, f"log lines appended to a file by {node.name}()")
    return None


#: a file named for the log it keeps (``loss_log.txt``, ``train.log``, ``log.txt``)
_LOG_FILE_NAME = re.compile(r"(^|[/_.-])log(s)?\.(txt|log)$|\.log$", re.I)


#: a class named for logging or recording (``Tacotron2Logger``, ``TensorboardLogger``, ``Logger``)
_LOGGER_CLASS = re.compile(r"log|writer|record", re.I)


def tensorboard_logger(src: Source) -> Hit | None:
    """A logger class of the project's own around TensorBoard (a ``SummaryWriter`` subclass, or a
    class holding one) that training feeds its running losses and validation results: every run's
    metrics are kept as it goes, the training-time log of research code."""
    if "SummaryWriter" not in src.text or "add_scalar" not in src.text:
        return None
    tree = src.tree
    for cls in walk(tree) if tree is not None else ():
        if cls.__class__ is not ast.ClassDef or not _LOGGER_CLASS.search(cls.name):
            continue
        nodes = walk(cls)
        wraps = any(dotted(b).endswith("SummaryWriter") for b in cls.bases) or any(
            isinstance(n, ast.Call) and callee(n) == "SummaryWriter" for n in nodes)
        if wraps and any(isinstance(n, ast.Call) and callee(n) in ("add_scalar", "add_scalars") for n in nodes):
            return Hit(src.path, cls.lineno, f"training metrics logged to TensorBoard by {cls.name}")
    return None


def _appends(call: ast.Call) -> bool:
    """``open(path, "a")``, or a mode the helper is given (``mode="a"`` by default)."""
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return mode.value.startswith("a")
    return isinstance(mode, ast.Name) and mode.id == "mode"


#: the entry points of an Azure ML scoring script, which the inference server calls.
_SCORING_ENTRIES = frozenset({"init", "run"})


def scoring_script_logging(src: Source) -> Hit | None:
    """An Azure ML scoring script (``init()`` and ``run(raw_data)``) that logs: the inference
    server configures logging and keeps each request's log lines."""
    if not _SCORING_ENTRIES <= src.facts.defs or not src.facts.imports_any(("logging",)):
        return None
    call = src.call(r"logging\.(info|warning|error|exception|debug)")
    return Hit(src.path, call.line, "scoring script logs kept by the Azure ML inference server") if call else None


#: orchestrators that keep the log of every task run, and the loggers they hand to task code.
_ORCHESTRATORS = ("airflow", "prefect", "dagster", "zenml", "kfp", "metaflow", "flytekit")
_TASK_LOGGERS = (r"prefect\.get_run_logger", r"prefect\.logging\.get_run_logger", r"dagster\.get_dagster_logger",
                 r"zenml\.logger\.get_logger", r"logging\.getLogger", r"loguru\.logger\.\w+")
_LOG_CALLS = (r"\.info", r"\.warning", r"\.error", r"\.exception", r"\.debug")


def task_logging(src: Source) -> Hit | None:
    """Code of an orchestrated pipeline that logs: the orchestrator keeps each task run's log."""
    orchestrator = src.facts.imports_any(_ORCHESTRATORS)
    if orchestrator is None or "log" not in src.lower:
        return None
    # Prefect keeps what a flow or task prints as its run's log when told to
    printed = next((c for c in src.facts.calls if c.name.startswith("prefect.") and c.kwarg("log_prints") is True), None)
    if printed is not None:
        return Hit(src.path, printed.line, f"task logs kept by prefect (log_prints=True on {printed.name.rsplit('.', 1)[-1]})")
    logger = src.call(*_TASK_LOGGERS)
    if logger is None or src.call(*_LOG_CALLS) is None:
        return None
    name = orchestrator.split(".")[0]
    return Hit(src.path, logger.line, f"task logs kept by {name} ({logger.name.rsplit('.', 1)[-1]})")


#: a run's key/value progress table written out at each step (the OpenAI baselines logger and
#: its copies, Spinning Up's and rllab's tabular loggers): ``progress.csv``/``log.txt`` per run.
_PROGRESS_DUMP = (r"\.dumpkvs", r"\.dump_kvs", r"\.dump_tabular")
_PROGRESS_RECORD = (r"\.logkv", r"\.logkv_mean", r"\.logkvs", r"\.log_tabular", r"\.record_tabular")


def progress_table(src: Source) -> Hit | None:
    """Training code recording values into a progress table and writing it out each step."""
    if "dump" not in src.lower:
        return None
    dump = src.call(*_PROGRESS_DUMP)
    if dump is None or src.call(*_PROGRESS_RECORD) is None:
        return None
    return Hit(src.path, dump.line, f"progress table of the run written at each step ({dump.name.rsplit('.', 1)[-1]})")


#: monitoring libraries whose reports a run writes to a file.
_REPORT_LIBRARIES = ("evidently", "deepchecks", "whylogs", "nannyml")


def monitoring_report(src: Source) -> Hit | None:
    """A drift or data-quality report written to a file each time the code runs."""
    library = src.facts.imports_any(_REPORT_LIBRARIES)
    if library is None:
        return None
    call = src.call(r"\.save_html", r"\.save_json", r"\.save_as_html")
    if call is None:
        return None
    return Hit(src.path, call.line, f"{library.split('.')[0]} report written on each run ({call.name.rsplit('.', 1)[-1]})")


def evaluation_report(src: Source) -> Hit | None:
    """An evaluation or training script (named so, or whose code runs a training epoch or an
    evaluation) that writes its metrics to a report file on every run."""
    name = src.path.rsplit("/", 1)[-1]
    # the cheap looks first: the script's name, then its calls
    if not (_EVAL_SCRIPT.search(name) or _SCORE_SCRIPT.search(name) or "epoch" in src.lower
            or "evaluate" in src.lower):
        return None
    # a scoring step that measures the model (``score.py`` computing sklearn metrics) evaluates
    measures = _SCORE_SCRIPT.search(name) and any(c.name.startswith("sklearn.metrics.") for c in src.facts.calls)
    if not (_EVAL_SCRIPT.search(name) or measures or (_TRAINS & src.facts.defs and _TESTS & src.facts.defs)) \
            and not any(_RUNS_TRAINING.match(c.name.rsplit(".", 1)[-1]) for c in src.facts.calls):
        return None
    if not _REPORT_NAMES.search(src.lower):
        return None  # (the report may be named only in the text it writes: "FINAL RESULTS")
    lines = src.text.splitlines()
    for call in src.facts.calls:
        if _TRACKER_REPORT.match(call.name) and call.line:
            # (what the call itself logs: the lines above may log the model after its metrics)
            if _TRACKED_REPORT_NAMES.search(" ".join(_call_lines(lines, call.line)).lower()):
                return Hit(src.path, call.line, f"evaluation report kept with the run ({call.name})")
        # what is written, or where (``with open("metrics.json", "w") as f:`` above it), is a
        # report: a copy of the run's config written the same way is none
        if not _REPORT_WRITER.search(call.name):
            continue
        # (and what the call writes, over the lines its parentheses span: ``f.write("""...RESULTS...""")``)
        near = " ".join(lines[max(call.line - 3, 0):call.line - 1] + _call_lines(lines, call.line)) if call.line else ""
        if call.name.endswith((".to_csv", "numpy.save", "numpy.savez")):
            # a table or an array is a report when its file is named so (``eval_metrics.csv``,
            # ``metrics.npy``); a predictions dump whose name merely carries the score
            # (``f"subm/{score:.4f}.csv"``) is none
            near = _PLACEHOLDER.sub("", " ".join(_QUOTED.findall(lines[call.line - 1]))) if call.line else ""
        if _REPORT_NAMES.search(near.lower()):
            return Hit(src.path, call.line, f"evaluation report written ({call.name})")
    return None


def _call_lines(lines: list[str], line: int, most: int = 6) -> list[str]:
    """The lines from ``line`` (1-based) until the parentheses opened there close."""
    out, depth = [], 0
    for text in lines[line - 1:line - 1 + most]:
        out.append(text)
        depth += text.count("(") - text.count(")")
        if depth <= 0:
            break
    return out


_QUOTED = re.compile(r"""["']([^"'\n]*)["']""")
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def request_telemetry(src: Source) -> Hit | None:
    """Serving middleware that times each request and logs or records it."""
    if not src.facts.imports_any(("time",)) or "middleware" not in src.lower and "_request" not in src.lower:
        return None  # no timer, or no hook nor middleware class: the module need not be parsed
    hook = src.call(r"\.middleware", r"\.before_request", r"\.after_request") if src.facts.imports_any(_WEB) else None
    # a hand-written ASGI/WSGI middleware class needs no web framework import
    has_class = any("middleware" in d.lower() for d in src.facts.defs) and (
        src.facts.imports_any(_WEB) is not None or _SERVER_ARGS <= src.names or _WSGI_ARGS <= src.names)
    timer = src.call(r"time\.perf_counter", r"time\.perf_counter_ns", r"time\.monotonic",
                     r"time\.monotonic_ns", r"time\.time")
    if not (hook or has_class) or timer is None:
        return None
    logs = src.call(r"\.info", r"\.debug", r"\.warning", r"\.log", r"\.bind") or src.mentions(_LATENCY)
    return Hit(src.path, timer.line, "request timing recorded by serving middleware") if logs else None


#: a function that keeps each prediction the service makes (``save_prediction_to_gcp``,
#: ``log_inference``, ``store_predictions``): what was served, recorded for later analysis.
_PREDICTION_LOG = re.compile(r"^_?(save|log|store|record|write|persist|insert|upload|push|track)_\w*"
                             r"(prediction|predict|inference|request)s?\w*$"
                             r"|^_?\w*(prediction|inference)s?_(log|logger|logging|store|record|writer)$"
                             # each answer handed to a metrics service (``post_response_to_metric_service``)
                             r"|^_?(post|send|push|report|publish|log|save|store|record)_\w*_to_\w*(metric|monitor)\w*$",
                             re.I)
#: apps that serve predictions to people: web services, and chat or demo UIs.
_SERVING_APPS = _WEB + ("streamlit", "gradio")


#: words of a call that keeps what it is given (``backend.save(model_input, model_output)``).
_KEEPS = frozenset({"save", "log", "store", "record", "capture", "write", "insert", "persist", "put", "append"})


def served_model_logging(src: Source) -> Hit | None:
    """An MLflow ``PythonModel`` served as is (``mlflow models serve``, an endpoint) whose
    ``predict`` hands each request's input and its predictions to a store."""
    if not src.facts.imports_any(("mlflow",)) or "PythonModel" not in src.text:
        return None
    tree = src.tree
    for cls in (n for n in walk(tree) if isinstance(n, ast.ClassDef)) if tree is not None else ():
        if not any(dotted(b).endswith("PythonModel") for b in cls.bases):
            continue
        for fn in cls.body:
            if not (isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name == "predict"):
                continue
            params = {a.arg for a in fn.args.args[1:]}
            made = {t.id for n in walk(fn) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                    for t in ([*n.targets] if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
            for call in (n for n in walk(fn) if isinstance(n, ast.Call)):
                given = {a.id for a in call.args if isinstance(a, ast.Name)}
                if words(callee(call) or "") & _KEEPS and given & params and given & made:
                    return Hit(src.path, call.lineno, f"each request and its predictions kept by the served model "
                                                      f"({callee(call)})")
    return None


def prediction_logging(src: Source) -> Hit | None:
    """A service that records every prediction it serves: its module serves requests and calls (or
    hands to a background task) a function named for keeping predictions, defined in the project."""
    if not src.facts.imports_any(_SERVING_APPS):
        return None
    keepers = {n for n in src.names if _PREDICTION_LOG.match(n)}
    for call in src.facts.calls:
        name = call.name.rsplit(".", 1)[-1]
        if name.lower() in keepers or (name in _BACKGROUND and keepers):
            return Hit(src.path, call.line, f"each prediction served is recorded ({name}: {sorted(keepers)[0]})")
    # a keeper of the module's own named for where it keeps things, handed the prediction
    # (``log_to_postgres(features, prediction)``)
    for node in walk(src.tree) if src.tree is not None and src.facts.defs else ():
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in src.facts.defs \
                and _KEEPER.match(node.func.id) \
                and any(isinstance(a, ast.Name) and _PREDICTED.search(a.id) for a in node.args):
            return Hit(src.path, node.lineno, f"each prediction served is recorded ({node.func.id})")
    return None


#: a function keeping what it is given somewhere (``log_to_postgres``, ``save_record``)
_KEEPER = re.compile(r"^_?(save|log|store|record|write|persist|insert|track)_\w+$")
_PREDICTED = re.compile(r"pred|inference|forecast", re.I)


_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})


def structured_request_logging(src: Source) -> Hit | None:
    """A route handler of a web service that logs each request as a structured record: the log
    call is given a JSON document (``logging.info(json.dumps({"request_id": ..., "data": ...}))``)
    or fields (``extra={...}``), which a log store can query; a free-text line is no record."""
    if "json.dumps" not in src.text and "extra=" not in src.text or not src.facts.imports_any(_WEB):
        return None
    tree = src.tree
    for fn in walk(tree) if tree is not None else ():
        if fn.__class__ not in (ast.FunctionDef, ast.AsyncFunctionDef) or not is_route(fn):
            continue
        for call in (n for n in walk(fn) if isinstance(n, ast.Call)):
            name = dotted(call.func)  # a logger's method (``logger.info``), not a bare ``info()``
            if "." in name and name.rsplit(".", 1)[-1] in _LOG_METHODS and _structured(call):
                return Hit(src.path, call.lineno, f"each request logged as a structured record by route {fn.name}()")
    return None


def _structured(call: ast.Call) -> bool:
    """A log call handed a JSON document of fields, or fields by ``extra=``."""
    if any(k.arg == "extra" and isinstance(k.value, ast.Dict) for k in call.keywords):
        return True
    return any(isinstance(a, ast.Call) and dotted(a.func) == "json.dumps" and a.args and isinstance(a.args[0], ast.Dict)
               for a in call.args)


#: calls that run a function later, handed to them (``background_tasks.add_task(save_prediction, ...)``).
_BACKGROUND = frozenset({"add_task", "submit", "create_task", "apply_async", "delay"})
