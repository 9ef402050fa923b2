#!/usr/bin/env python3
"""Reduces msgraph-sdk's generated sources to what the Teams emulator is checked against.

usage: graph-specs.py WHEEL OUT_DIR

routes.json: one entry per request builder, {"template": "/chats/{chat-id}/messages",
"query": ["$top", ...], "methods": ["GET", "POST"]}, from the URL template each
`*_request_builder.py` passes to its base class and the `async def get/post/patch/put/delete`
it defines. models.json: {"chatMessage": ["id", "body", ...]} — every JSON field name each
model (de)serialises, its base classes' included (`Entity` gives `id`, every model
`@odata.type`).
"""
import json
import re
import sys
import zipfile

TEMPLATE = re.compile(r'super\(\)\.__init__\(request_adapter, "([^"]+)"')
METHOD = re.compile(r"^    async def (get|post|patch|put|delete)\(", re.M)
FIELD = re.compile(r'^\s+"([^"]+)": lambda n\s*:', re.M)
CLASS = re.compile(r"^class (\w+)\(([^)]*)\):", re.M)


def unescape(s):
    return s.replace("%2D", "-").replace("%24", "$").replace("%2E", ".")


def routes(z):
    out = []
    for name in z.namelist():
        if not (name.startswith("msgraph/generated/") and name.endswith("_request_builder.py")):
            continue
        src = z.read(name).decode("utf-8")
        m = TEMPLATE.search(src)
        if not m:
            continue
        template = m.group(1)
        assert template.startswith("{+baseurl}"), template
        path, _, query = template[len("{+baseurl}"):].partition("{?")
        out.append({
            "template": unescape(path),
            "query": [unescape(q) for q in query.rstrip("}").split(",") if q],
            "methods": sorted({m.upper() for m in METHOD.findall(src)}),
        })
    out.sort(key=lambda r: r["template"])
    return out


def models(z):
    classes = {}
    for name in z.namelist():
        # Only the v1.0 namespace itself: sub-packages (security, callRecords, …) reuse names.
        rest = name[len("msgraph/generated/models/"):]
        if not name.startswith("msgraph/generated/models/") or "/" in rest or not rest.endswith(".py"):
            continue
        src = z.read(name).decode("utf-8")
        c = CLASS.search(src)
        if not c:
            continue
        bases = [b.strip() for b in c.group(2).split(",")]
        classes[c.group(1)] = (bases, set(FIELD.findall(src)))
    def fields(cls, seen=()):
        if cls not in classes or cls in seen:
            return set()
        bases, own = classes[cls]
        out = set(own) | {"@odata.type"}
        for b in bases:
            out |= fields(b, seen + (cls,))
        return out
    out = {}
    for cls in classes:
        key = cls[0].lower() + cls[1:]
        out[key] = sorted(fields(cls))
    return out


def main():
    wheel, dest = sys.argv[1], sys.argv[2]
    with zipfile.ZipFile(wheel) as z:
        r, m = routes(z), models(z)
    assert len(r) > 1000 and "chatMessage" in m, "unexpected msgraph-sdk layout"
    with open(f"{dest}/routes.json", "w") as f:
        json.dump(r, f, indent=0)
    with open(f"{dest}/models.json", "w") as f:
        json.dump(m, f, indent=0)
    print(f"graph-specs: {len(r)} routes, {len(m)} models", file=sys.stderr)


if __name__ == "__main__":
    main()
