#!/usr/bin/env python3
"""Extracts what the Slack emulator is checked against from Slack's own SDKs.

usage: scripts/slack-specs.py WHEEL TARBALL DEST_DIR

WHEEL is slack_sdk's wheel (PyPI), TARBALL @slack/web-api's npm tarball; both are verified
by scripts/fetch-slack-specs.sh before this runs. Writes into DEST_DIR:

methods.json
    {"chat.postMessage": {"params": [...], "http_verb": "POST", "body": "json"}, ...} for
    every Web API method `slack_sdk.web.client.WebClient` calls, read with `ast`: the
    parameters are the method's named arguments plus every key it writes into the request
    by hand (`kwargs.update({...})`, `kwargs["x"] = ...`); `**kwargs` itself is not a
    parameter. `"oauth/v2/authorize"` holds the query parameters slack_sdk's
    `AuthorizeUrlGenerator` puts on the authorization URL.
responses.json
    {"ConversationsHistoryResponse": {"root": {...}, "defs": {...}}, ...,
     "WebAPICallResult": {...}}: every `dist/types/response/*.d.ts` as a field tree. A type is
    {"t": "string"|"number"|"boolean"|"any"|"null"}, {"t": "ref", "name": N},
    {"t": "array", "of": T}, {"t": "union", "of": [T...]}, {"t": "map", "of": T},
    {"t": "object", "fields": {name: T}} or {"t": "enum", "values": [...]}.
"""

from __future__ import annotations

import ast
import io
import json
import re
import sys
import tarfile
import zipfile

# --- slack_sdk: method names and parameters ------------------------------------------


def string_keys(node: ast.AST) -> set[str]:
    """Keys the method writes into kwargs by hand."""
    keys: set[str] = set()
    for n in ast.walk(node):
        # kwargs.update({"a": ..., "b": ...})
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "update"
            and isinstance(n.func.value, ast.Name)
            and n.func.value.id == "kwargs"
        ):
            for arg in n.args:
                if isinstance(arg, ast.Dict):
                    for k in arg.keys:
                        if isinstance(k, ast.Constant) and isinstance(k.value, str):
                            keys.add(k.value)
        # kwargs["a"] = ...
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if (
                    isinstance(t, ast.Subscript)
                    and isinstance(t.value, ast.Name)
                    and t.value.id == "kwargs"
                    and isinstance(t.slice, ast.Constant)
                    and isinstance(t.slice.value, str)
                ):
                    keys.add(t.slice.value)
    return keys


def api_calls(node: ast.AST) -> list[ast.Call]:
    return [
        n
        for n in ast.walk(node)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "api_call"
        and n.args
        and isinstance(n.args[0], ast.Constant)
        and isinstance(n.args[0].value, str)
    ]


def methods_from_client(source: str) -> dict[str, dict]:
    tree = ast.parse(source)
    client = next(
        n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "WebClient"
    )
    methods: dict[str, dict] = {}
    for fn in client.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        calls = api_calls(fn)
        if not calls:
            continue
        args = fn.args
        named = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        named = [a for a in named if a != "self"]
        params = set(named) | string_keys(fn)
        for call in calls:
            name = call.args[0].value
            verb, body = "POST", "data"
            for kw in call.keywords:
                if kw.arg == "http_verb" and isinstance(kw.value, ast.Constant):
                    verb = kw.value.value
                if kw.arg in ("json", "params", "data", "files"):
                    body = kw.arg
            entry = methods.setdefault(
                name, {"params": set(), "http_verb": verb, "body": body, "python": fn.name}
            )
            entry["params"] |= params
    for entry in methods.values():
        entry["params"] = sorted(entry["params"])
    return methods


def authorize_params(source: str) -> list[str]:
    """Query keys of AuthorizeUrlGenerator.generate's URL (`?state={state}&client_id=…`)."""
    tree = ast.parse(source)
    gen = next(
        n
        for n in tree.body
        if isinstance(n, ast.ClassDef) and n.name == "AuthorizeUrlGenerator"
    )
    fn = next(n for n in gen.body if isinstance(n, ast.FunctionDef) and n.name == "generate")
    keys: set[str] = set()
    for n in ast.walk(fn):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            keys.update(re.findall(r"[?&]([a-z_]+)=", n.value))
    return sorted(keys)


# --- @slack/web-api: response types -------------------------------------------------

PRIMITIVES = {"string", "number", "boolean", "any", "null", "unknown"}


def split_top(text: str, sep: str) -> list[str]:
    """Splits on `sep` outside brackets and parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts]


def parse_type(text: str) -> dict:
    text = text.strip()
    alts = split_top(text, "|")
    if len(alts) > 1:
        return {"t": "union", "of": [parse_type(a) for a in alts]}
    if text.endswith("[]"):
        return {"t": "array", "of": parse_type(text[:-2])}
    if text.startswith("(") and text.endswith(")"):
        return parse_type(text[1:-1])
    m = re.fullmatch(r"Array<(.+)>", text)
    if m:
        return {"t": "array", "of": parse_type(m.group(1))}
    if text == "{}":
        return {"t": "object", "fields": {}}
    if text in PRIMITIVES:
        return {"t": "any" if text == "unknown" else text}
    if re.fullmatch(r"'[^']*'|\"[^\"]*\"", text):
        return {"t": "string"}
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        return {"t": "ref", "name": text}
    raise ValueError(f"unsupported type expression: {text!r}")


FIELD = re.compile(r"""^\s*("[^"]+"|'[^']+'|[A-Za-z_$][A-Za-z0-9_$]*)\??:\s*(.*?);?$""")
INDEX = re.compile(r"^\s*\[key: string\]:\s*(.*?);$")


def parse_block(lines: list[str], i: int) -> tuple[dict, int]:
    """Parses object members from line i up to the matching `}`; returns (type, next i)."""
    fields: dict[str, dict] = {}
    index_type = None
    while i < len(lines):
        line = lines[i].rstrip()
        if re.fullmatch(r"\s*\};?", line):
            i += 1
            break
        m = INDEX.match(line)
        if m:
            index_type = parse_type(m.group(1))
            i += 1
            continue
        m = FIELD.match(line)
        if not m:
            raise ValueError(f"unparsed member line: {line!r}")
        name = m.group(1).strip("\"'")
        rest = m.group(2)
        if rest == "{":
            inner, i = parse_block(lines, i + 1)
            fields[name] = inner
            continue
        fields[name] = parse_type(rest)
        i += 1
    if index_type is not None and not fields:
        return {"t": "map", "of": index_type}, i
    if index_type is not None:
        raise ValueError("objects mixing fields and an index signature are not supported")
    return {"t": "object", "fields": fields}, i


def parse_dts(text: str) -> dict:
    lines = [
        l
        for l in text.splitlines()
        if l.strip() and not l.startswith("import ") and not l.startswith("//#")
    ]
    root = None
    defs: dict[str, dict] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.fullmatch(r"export type (\w+) = WebAPICallResult & \{", line)
        if m:
            root, i = parse_block(lines, i + 1)
            continue
        m = re.fullmatch(r"export interface (\w+) \{", line)
        if m:
            defs[m.group(1)], i = parse_block(lines, i + 1)
            continue
        m = re.fullmatch(r"export declare enum (\w+) \{", line)
        if m:
            values = []
            i += 1
            while not re.fullmatch(r"\s*\}", lines[i]):
                vm = re.match(r'\s*\w+ = "([^"]*)",?$', lines[i])
                if not vm:
                    raise ValueError(f"unparsed enum line: {lines[i]!r}")
                values.append(vm.group(1))
                i += 1
            defs[m.group(1)] = {"t": "enum", "values": values}
            i += 1
            continue
        m = re.fullmatch(r"export type (\w+) = (.+);", line)
        if m:
            defs[m.group(1)] = parse_type(m.group(2))
            i += 1
            continue
        raise ValueError(f"unparsed line: {line!r}")
    if root is None:
        raise ValueError("no `export type X = WebAPICallResult & {` found")
    return {"root": root, "defs": defs}


def web_api_call_result(text: str) -> dict:
    lines = text.splitlines()
    start = next(
        i for i, l in enumerate(lines) if l.startswith("export interface WebAPICallResult {")
    )
    result, _ = parse_block(lines, start + 1)
    return result


def main() -> int:
    wheel, tarball, dest = sys.argv[1:4]
    with zipfile.ZipFile(wheel) as z:
        client = z.read("slack_sdk/web/client.py").decode()
        authorize = z.read("slack_sdk/oauth/authorize_url_generator/__init__.py").decode()
    methods = methods_from_client(client)
    methods["oauth/v2/authorize"] = {
        "params": authorize_params(authorize),
        "http_verb": "GET",
        "body": "params",
        "python": "AuthorizeUrlGenerator.generate",
    }
    responses: dict[str, dict] = {}
    with tarfile.open(tarball) as t:
        for member in t.getmembers():
            m = re.fullmatch(r"package/dist/types/response/(\w+)\.d\.ts", member.name)
            if m and m.group(1) != "index":
                text = t.extractfile(member).read().decode()
                try:
                    responses[m.group(1)] = parse_dts(text)
                except ValueError as e:
                    raise SystemExit(f"slack-specs: {member.name}: {e}")
        webclient = t.extractfile("package/dist/WebClient.d.ts").read().decode()
    responses["WebAPICallResult"] = web_api_call_result(webclient)
    with open(f"{dest}/methods.json", "w") as f:
        json.dump(methods, f, indent=1, sort_keys=True)
    with open(f"{dest}/responses.json", "w") as f:
        json.dump(responses, f, indent=None, sort_keys=True)
    print(
        f"slack-specs: {len(methods)} methods, {len(responses) - 1} response types",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
