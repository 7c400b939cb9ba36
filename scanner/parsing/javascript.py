"""Imports and calls of JavaScript and TypeScript sources, in the shape of the Python facts.

Cloud samples define their infrastructure and Lambda functions in TypeScript as often as in
Python: a SageMaker endpoint in a CDK stack (``new sagemaker.CfnEndpoint(this, 'E', {...})``) or
created by a Lambda through the AWS SDK (``sagemaker.createEndpoint({...})``). Their module
names are mapped onto the Python packages the catalogue knows, so one catalogue entry reads both:
``aws-cdk-lib/aws-sagemaker`` and ``@aws-cdk/aws-sagemaker`` are ``aws_cdk.aws_sagemaker``, the
AWS SDK (v2 ``aws-sdk``, v3 ``@aws-sdk/client-*``) is ``boto3``, and an SDK call
(``createEndpoint``, ``new CreateEndpointCommand``) is the boto3 client method of the same name
(``boto3.client.create_endpoint``). Property and parameter names are kept as written and also
given in snake case (``dataCaptureConfig`` -> ``data_capture_config``).

This is a scan of the text, not a parser: comments are dropped, strings are not told apart from
code, and only imports, ``require`` calls, ``new`` expressions and SDK client methods are read.
"""
from __future__ import annotations

import re

from scanner.parsing.python import Call, PyFacts

_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_LINE_COMMENT = re.compile(r"^[ \t]*//.*$", re.M)
_IMPORT = re.compile(r"^\s*import\s+(?:type\s+)?(?:(\*\s+as\s+[\w$]+)|([\w$]+))?\s*,?\s*(\{[^}]*\})?\s*"
                     r"from\s+['\"]([^'\"]+)['\"]", re.M)
_REQUIRE = re.compile(r"\b(?:const|let|var)\s+([\w$]+|\{[^}]*\})\s*=\s*require\(\s*['\"]([^'\"]+)['\"]\s*\)")
_NEW = re.compile(r"\bnew\s+([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\(")
_METHOD = re.compile(r"\.\s*([a-z][\w$]*)\s*\(")
_KEY = re.compile(r"([A-Za-z_$][\w$]*)\s*:")
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SDK = "boto3"
#: how far into a call's arguments its properties are looked for.
_ARGS_WINDOW = 4000


def snake(name: str) -> str:
    """``createEndpointConfig`` and ``CreateEndpointConfig`` -> ``create_endpoint_config``."""
    return _CAMEL_HUMP.sub("_", name).lower()


def module_name(spec: str) -> str | None:
    """The dotted Python-style name of an imported package (None for a relative import)."""
    if spec.startswith((".", "/")):
        return None
    if spec == "aws-sdk" or spec.startswith(("aws-sdk/", "@aws-sdk/")):
        return _SDK
    if spec == "aws-cdk-lib" or spec.startswith("aws-cdk-lib/"):
        spec = "aws_cdk" + spec[len("aws-cdk-lib"):]
    elif spec.startswith("@aws-cdk/"):
        spec = "aws_cdk/" + spec[len("@aws-cdk/"):]
    return ".".join(part.replace("-", "_") for part in spec.removeprefix("@").split("/") if part)


def _bindings(text: str) -> tuple[dict[str, str], dict[str, int]]:
    """(local name -> dotted origin, imported module -> first line) of the file's imports."""
    names: dict[str, str] = {}
    modules: dict[str, int] = {}

    def bind(clause: str | None, default: str | None, module: str, line: int) -> None:
        modules.setdefault(module, line)
        if default:
            names[default.strip()] = module
        for item in (clause or "").strip("{} \n").split(","):
            parts = item.replace("type ", "").split(" as ")
            if parts[0].strip():
                names[parts[-1].strip()] = f"{module}.{parts[0].strip()}"

    for m in _IMPORT.finditer(text):
        module = module_name(m.group(4))
        if module:
            star = m.group(1).split("as")[-1] if m.group(1) else None
            bind(m.group(3), star or m.group(2), module, text.count("\n", 0, m.start()) + 1)
    for m in _REQUIRE.finditer(text):
        module = module_name(m.group(2))
        if module:
            target = m.group(1)
            clause = target.replace(":", " as ") if target.startswith("{") else None
            bind(clause, None if clause else target, module, text.count("\n", 0, m.start()) + 1)
    return names, modules


def _properties(text: str, start: int) -> tuple[tuple[str, object], ...]:
    """The top-level keys of the first object literal among a call's arguments (``start``: just
    after its opening parenthesis), as written and in snake case."""
    depth, opened, keys = 0, -1, []
    for i in range(start, min(len(text), start + _ARGS_WINDOW)):
        ch = text[i]
        if ch in "([{":
            if ch == "{" and depth == 0 and opened < 0:
                opened = i
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0 or (opened >= 0 and depth == 0):
                break
        elif opened >= 0 and depth == 1 and (m := _KEY.match(text, i)) and not text[i - 1].isalnum():
            keys.append(m.group(1))
    out: dict[str, None] = {}
    for key in keys:
        out[key] = None
        out[snake(key)] = None
    return tuple(out.items())


def uncommented(source: str) -> str:
    """The source with its comments blanked, lines kept where they were."""
    return _LINE_COMMENT.sub("", _BLOCK_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source))


def parse_script(source: str) -> PyFacts | None:
    """Facts of a JavaScript/TypeScript source; None when it imports no package."""
    text = uncommented(source)
    names, modules = _bindings(text)
    if not modules:
        return None
    calls: list[Call] = []
    for m in _NEW.finditer(text):
        head, _, rest = m.group(1).partition(".")
        origin = names.get(head)
        if origin is None:
            continue
        name = f"{origin}.{rest}" if rest else origin
        if origin.startswith(_SDK + ".") and name.endswith("Command"):
            name = f"{_SDK}.client.{snake(name.rsplit('.', 1)[-1].removesuffix('Command'))}"  # SDK v3
        calls.append(Call(name, text.count("\n", 0, m.start()) + 1, kwargs=_properties(text, m.end())))
    if names and any(origin == _SDK for origin in names.values()):
        # SDK v2: a client's methods (``new AWS.SageMaker().createEndpoint({...})``)
        for m in _METHOD.finditer(text):
            calls.append(Call(f"{_SDK}.client.{snake(m.group(1))}", text.count("\n", 0, m.start()) + 1,
                              kwargs=_properties(text, m.end())))
    calls.sort(key=lambda c: c.line)
    return PyFacts(imports=modules, calls=tuple(calls))
