"""What the condition of a data check looks at: the data's content (columns, nulls, types, ranges,
row counts), not merely whether there is any data, whether a file exists or a configuration value
is set; and which variables of the checking function hold the data it checked.
"""
from __future__ import annotations

import ast

from detectors.flow import own_nodes, words
from scanner.parsing.python import walk

#: what a check looks at when it checks the data itself (nulls, types, columns, ranges, rows).
#: Whether there is any data at all (``df.empty``) is left out: that guards availability, not quality.
CONTENT_CHECKS = frozenset({
    "isnull", "isna", "notna", "notnull", "null_count", "is_null", "dtypes", "dtype", "columns", "schema",
    "duplicated", "is_duplicated", "between", "is_between", "nunique", "n_unique", "unique", "min", "max",
    "shape", "select_dtypes", "value_counts", "describe", "isin", "is_in", "isnan", "isfinite",
    "is_numeric_dtype", "is_string_dtype", "is_datetime64_any_dtype", "infer_dtype", "count", "height",
})
#: words of names a data check uses when it looks at the data or hands it to rules.
CHECK_WORDS = frozenset({"null", "nulls", "nan", "nans", "missing", "schema", "dtype", "dtypes", "column",
                          "columns", "range", "ranges", "duplicate", "duplicates", "duplicated", "rules",
                          "expectations", "expect", "constraints", "outliers"})
#: words of names of files and places: a missing file is data not there yet, not bad data.
_RESOURCE_WORDS = frozenset({"file", "files", "path", "paths", "dir", "dirs", "directory", "folder", "url", "uri"})
#: words of names that hold configuration: a condition on them alone checks arguments.
_CONFIG_WORDS = frozenset({"config", "cfg", "conf", "args", "settings", "params", "options", "opts"})
#: words of a check's outcome.
_VERDICT_WORDS = frozenset({"passed", "valid", "errors", "failures", "failed", "violations", "issues",
                            "invalid"})


def looks(test: ast.AST, verdicts: bool) -> bool:
    """A condition about data content (``df.isnull().any()``, ``missing_columns``, ``len(rows) < n``)
    or, when ``verdicts``, about the outcome of checks (``not report["passed"]``). A condition that
    only asks whether there is any data (``df.empty``, ``len(rows) == 0``), names only files, or
    reads only configuration (``not config.required_columns``) guards something else."""
    if _reads_config(test) or _batching(test):
        return False
    sizes = _emptiness_sizes(test)
    called = {id(n.func) for n in walk(test) if isinstance(n, ast.Call)}
    for node in walk(test):
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else \
            node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
        if not name or id(node) in sizes or words(name) & _RESOURCE_WORDS:
            continue
        # ``len(rows)`` measures the data; a variable that happens to be called ``len`` does not
        if name in CONTENT_CHECKS or name == "len" and id(node) in called or words(name) & CHECK_WORDS \
                or verdicts and words(name) & _VERDICT_WORDS:
            return True
    return False


def _batching(test: ast.AST) -> bool:
    """A size compared with a batch size (``x.shape[0] != batch_size``): whether a batch is full,
    a loader's bookkeeping, not the data's content."""
    for node in walk(test):
        if isinstance(node, ast.Compare) and len(node.comparators) == 1:
            pair = (node.left, node.comparators[0])
            if any(_size(a) is not None for a in pair) and any(
                    isinstance(b, (ast.Name, ast.Attribute)) and "batch" in words(b.id if isinstance(b, ast.Name) else b.attr)
                    for b in pair):
                return True
    return False


def _reads_config(test: ast.AST) -> bool:
    """Every variable the condition reads holds configuration (``config.path``, ``cfg["columns"]``)."""
    read = _variables(test)
    return bool(read) and all(words(name) & _CONFIG_WORDS for name in read)


def _variables(node: ast.AST) -> set[str]:
    """Variables an expression reads, not the functions it calls (``set(df.columns)`` -> df)."""
    called = {id(n.func) for n in walk(node) if isinstance(n, ast.Call)}
    return {n.id for n in walk(node) if isinstance(n, ast.Name) and id(n) not in called}


def _root(node: ast.AST) -> str | None:
    """The variable a chain starts from (``df[df.x > 0].write.parquet`` -> df)."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def checked_data(fn: ast.AST, test: ast.AST) -> set[str]:
    """Variables of a function that hold the data a condition looks at: those it reads, what they
    were computed from (``missing = required - set(df.columns)`` -> df), and what is selected or
    cleaned from them by their own methods (``df = df.dropna()``). Configuration is no data."""
    assigned = [({t.id for t in walk(target) if isinstance(t, ast.Name)}, node.value)
                for node in own_nodes(fn) if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])]
    data = _variables(test)
    for _ in range(8):  # a few hops suffice; the bound keeps a hostile function cheap
        grown = set(data)
        for targets, value in assigned:
            if targets & data:
                grown |= _variables(value)
            if _root(value) in data:
                grown |= targets
        if grown == data:
            break
        data = grown
    return {name for name in data if not words(name) & _CONFIG_WORDS}


def touches(call: ast.Call, data: set[str]) -> bool:
    """The call is made on the data or given it (``df.to_parquet(...)``, ``write_table(rows)``)."""
    given = [*call.args, *(k.value for k in call.keywords)]
    return _root(call.func) in data or any(_variables(arg) & data for arg in given)


def _size(node: ast.AST) -> ast.AST | None:
    """The name that measures a size in ``len(x)``, ``x.count()``, ``x.shape[0]`` or ``x.height``;
    the size of a selection (``len(df[df.amount < 0])``) measures bad rows, not rows."""
    if isinstance(node, ast.Call) and not node.keywords:
        if isinstance(node.func, ast.Name) and node.func.id == "len" and len(node.args) == 1 \
                and not isinstance(node.args[0], ast.Subscript) \
                or isinstance(node.func, ast.Attribute) and node.func.attr == "count" and not node.args \
                and not isinstance(node.func.value, ast.Subscript):
            return node.func
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape" \
            and isinstance(node.slice, ast.Constant) and node.slice.value == 0:
        return node.value
    return node if isinstance(node, ast.Attribute) and node.attr == "height" else None


#: ``size OP n`` that only tells none from some: ``== 0``, ``!= 0``, ``<= 0``, ``> 0``, ``< 1``, ``>= 1``.
_NONE_OR_SOME = {0: (ast.Eq, ast.NotEq, ast.LtE, ast.Gt), 1: (ast.Lt, ast.GtE)}
_MIRRORED = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}


def _emptiness_sizes(test: ast.AST) -> set[int]:
    """Ids of the size names (``len``, ``count``, ``shape``) a condition uses only to ask whether
    there is any data: ``len(x) == 0``, ``0 < len(x)``, ``not len(x)``, ``df.shape[0] < 1``. What
    is measured still counts (``len(missing_columns) > 0`` looks at columns)."""
    out = set()
    for node in walk(test):
        if isinstance(node, ast.Compare) and len(node.comparators) == 1:
            (left, right), op = (node.left, node.comparators[0]), type(node.ops[0])
            if _size(left) is None:
                left, right, op = right, left, _MIRRORED.get(op, op)
            size = _size(left)
            if size is not None and isinstance(right, ast.Constant) and type(right.value) is int \
                    and op in _NONE_OR_SOME.get(right.value, ()):
                out.add(id(size))
    truths = [test]  # a size tested for truth: ``if len(x)``, ``if not df.count() or ...``
    while truths:
        node = truths.pop()
        if isinstance(node, ast.BoolOp):
            truths.extend(node.values)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            truths.append(node.operand)
        elif _size(node) is not None:
            out.add(id(_size(node)))
    return out
