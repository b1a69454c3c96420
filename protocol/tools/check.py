#!/usr/bin/env python3
"""Check protocol/: openrpc.json and the tests/**/*.io transcripts.

Run before committing a change to protocol/:

    python3 protocol/tools/check.py [--meta-schema PATH]

Checks, with the standard library only:
  - openrpc.json parses; error codes are unique; every $ref inside it resolves; methods are sorted
    and unique; within a method, param names and error codes are unique and required params come
    before optional ones (OpenRPC MUSTs that JSON Schema cannot state);
    every method has x-params-schema (the whole params object), and its params content descriptors
    name exactly that schema's properties, with `required` matching;
  - every method has a transcript (tests/<method>/*.io);
  - every transcript line is a `>> `, `<< `, `//` or blank line; every `<<` payload parses as JSON;
    every `>>` payload parses unless the file says it sends raw text (see tests/README.md);
    `$` wildcards are among the known ones; directives are known.
With the `jsonschema` package installed, also:
  - every schema in openrpc.json is a valid Draft 7 schema;
  - each method's example result validates against its result schema;
  - each components.errors example `data` validates against <ErrorName>Data;
  - each method's example params validate against its x-params-schema;
  - transcripts against openrpc.json: a request to a documented method whose params break its
    x-params-schema must expect -32602; an expected error's code must be one the method lists
    (or -32600/-32601/-32603/-32700/-32029/-32006, which any request can get); expected results
    and error data validate against the method's result schema / <ErrorName>Data, except where a
    `$` wildcard stands, and a daemon.info result's capabilities.methods, when written out, is
    exactly openrpc.json's methods (spec/ is exempt: it replays the JSON-RPC specification's
    examples);
  - the document validates against an OpenRPC 1.3 meta-schema: by default
    tools/openrpc-1.3.meta.schema.json (blenderd's encoding of the specification's object rules),
    or with --meta-schema PATH another one, such as a local copy of open-rpc/spec
    spec/1.3/schema.json (its external refs resolve to the Draft 7 meta-schema bundled in jsonschema).
"""
import argparse
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# blenderd's own encoding of the OpenRPC 1.3 rules, written from the specification's text (the
# official meta-schema cannot be fetched in CI; pass it with --meta-schema where you have it).
OUR_META_SCHEMA = pathlib.Path(__file__).resolve().parent / "openrpc-1.3.meta.schema.json"
WILDCARDS = {"$any", "$number", "$integer", "$string"}
DIRECTIVES = {"framing": {"ndjson", "header", "both"}, "max-frame-bytes": None, "raw": {"allowed"}}

failures = []


def fail(where, msg):
    failures.append(f"{where}: {msg}")


def reject_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError(f"duplicate member names {sorted(dup)}")
    return dict(pairs)


def loads(text):
    return json.loads(text, object_pairs_hook=reject_duplicates)


def walk_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from walk_strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from walk_strings(v)


def resolve(doc, pointer):
    node = doc
    for part in pointer.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def check_refs(doc, node, where):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            try:
                resolve(doc, ref)
            except (KeyError, TypeError):
                fail(where, f"unresolved $ref {ref}")
        for k, v in node.items():
            check_refs(doc, v, where)
    elif isinstance(node, list):
        for v in node:
            check_refs(doc, v, where)


def meta_schema_validator(meta_schema_path):
    """A Draft 7 validator for an OpenRPC meta-schema: ours (OUR_META_SCHEMA) or the official
    open-rpc/spec spec/1.3/schema.json. Needs jsonschema."""
    import jsonschema
    import referencing
    import referencing.jsonschema
    draft7 = jsonschema.Draft7Validator
    meta = json.loads(pathlib.Path(meta_schema_path).read_text(encoding="utf-8"))
    draft7.check_schema(meta)
    # Both refer to the Draft 7 meta-schema for Schema Objects: serve jsonschema's bundled copy
    # (no network). The official file refers to its schemas through https://meta.json-schema.tools
    # (a Draft 7 meta-schema with its parts under definitions/JSONSchemaObject); stand in the
    # Draft 7 meta-schema for it, with the one part referenceObject points at.
    draft7_meta = referencing.jsonschema.DRAFT7.create_resource(draft7.META_SCHEMA)
    json_schema_tools = referencing.jsonschema.DRAFT7.create_resource({
        "$ref": "http://json-schema.org/draft-07/schema#",
        "definitions": {"JSONSchemaObject": {"properties": {"$ref": {"type": "string", "format": "uri-reference"}}}},
    })
    reg = referencing.Registry().with_resources([
        ("http://json-schema.org/draft-07/schema", draft7_meta),
        ("https://json-schema.org/draft-07/schema", draft7_meta),
        ("https://meta.json-schema.tools", json_schema_tools),
        ("https://meta.json-schema.tools/", json_schema_tools),
    ])
    # Formats are checked where jsonschema can (regex, so a schema's `pattern` must compile; email;
    # uri only when rfc3987 is installed).
    return draft7(meta, registry=reg, format_checker=draft7.FORMAT_CHECKER)


def meta_schema_problems(doc, meta_schema_path):
    """What the meta-schema refuses in doc, each as "message at path" with the path as a JSON
    pointer into openrpc.json (e.g. /methods/3/params/0), in document order."""
    validator = meta_schema_validator(meta_schema_path)
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{err.message} at {json_pointer(err.absolute_path)}" for err in errors]


def json_pointer(parts):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts) if parts else "/ (the document)"


def check_spec_rules(doc, where):
    """The OpenRPC 1.3 MUSTs that JSON Schema cannot state, besides unique method names (which
    check_openrpc checks with their order): unique parameter names within a method, required
    parameters before optional ones, and unique error codes within a method."""
    for m in doc.get("methods", []):
        if not isinstance(m, dict) or "$ref" in m:
            continue
        name = m.get("name")
        params = []
        for p in m.get("params", []):
            try:
                params.append(resolve(doc, p["$ref"]) if "$ref" in p else p)
            except (KeyError, TypeError):
                pass  # reported by check_refs
        names = [p.get("name") for p in params]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            fail(where, f"method {name}: duplicate params {dup} (names MUST be unique)")
        seen_optional = None
        for p in params:
            if not p.get("required", False):
                seen_optional = seen_optional or p.get("name")
            elif seen_optional:
                fail(where, f"method {name}: required param {p.get('name')} comes after optional {seen_optional} "
                            "(OpenRPC: optional params MUST follow all required ones)")
                break
        codes = []
        for e in m.get("errors", []):
            try:
                codes.append((resolve(doc, e["$ref"]) if "$ref" in e else e)["code"])
            except (KeyError, TypeError):
                pass
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            fail(where, f"method {name}: error codes {dup} listed twice (a method's errors MUST have unique codes)")


def check_openrpc(meta_schema_path):
    """Checks openrpc.json; returns (doc, validate) where validate(schema, value) lists the
    problems (None when jsonschema is missing), or (None, None) when it does not parse."""
    path = ROOT / "openrpc.json"
    try:
        doc = loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        fail(path.name, f"not valid JSON: {e}")
        return None, None
    check_refs(doc, doc, path.name)
    check_spec_rules(doc, path.name)
    codes = [e["code"] for e in doc["components"]["errors"].values()]
    if len(codes) != len(set(codes)):
        fail(path.name, "duplicate error codes")
    names = [m["name"] for m in doc["methods"]]
    if names != sorted(names) or len(names) != len(set(names)):
        fail(path.name, "methods must be unique and sorted by name")
    for m in doc["methods"]:
        where = f"method {m['name']}"
        ps = m.get("x-params-schema")
        if not isinstance(ps, dict):
            fail(path.name, f"{where}: no x-params-schema")
            continue
        try:
            target = resolve(doc, ps["$ref"]) if "$ref" in ps else ps
        except (KeyError, TypeError):
            continue  # reported by check_refs
        props = target.get("properties", {})
        required = set(target.get("required", []))
        names = [p.get("name") for p in m["params"]]
        if sorted(names) != sorted(props):
            fail(path.name, f"{where}: params {names} differ from x-params-schema properties {sorted(props)}")
        for p in m["params"]:
            if bool(p.get("required", False)) != (p.get("name") in required):
                fail(path.name, f"{where}: param {p.get('name')} required flag differs from x-params-schema")
    try:
        import jsonschema
    except ImportError:
        print("note: jsonschema not installed; schema checks skipped")
        return doc, None
    draft7 = jsonschema.Draft7Validator
    for name, schema in doc["components"]["schemas"].items():
        try:
            draft7.check_schema(schema)
        except jsonschema.SchemaError as e:
            fail(path.name, f"schema {name} is not valid Draft 7: {e.message}")
    # Schemas refer to each other as "#/components/schemas/X": validate with the document as root
    # (its own members are not Draft 7 keywords, so they are ignored).
    def problems(schema, instance, ignore=()):
        """Validation errors, except those at or under a path in `ignore` (wildcards)."""
        root = dict(doc)
        root.update(schema)
        return [f"{err.message} at {list(err.absolute_path)}" for err in draft7(root).iter_errors(instance)
                if not any(tuple(err.absolute_path)[:len(p)] == p for p in ignore)]

    def validate(schema, instance, where):
        for problem in problems(schema, instance):
            fail(path.name, f"{where}: {problem}")

    for m in doc["methods"]:
        for ex in m.get("examples", []):
            validate(m["result"]["schema"], ex["result"]["value"], f"{m['name']} example {ex['name']}")
            if "x-params-schema" in m:
                params = {p["name"]: p["value"] for p in ex.get("params", [])}
                validate(m["x-params-schema"], params, f"{m['name']} example {ex['name']} params")
    for name, err in doc["components"]["errors"].items():
        schema = doc["components"]["schemas"].get(name + "Data")
        if schema is None:
            fail(path.name, f"error {name} has no schema {name}Data")
        elif "data" in err:
            validate({"$ref": f"#/components/schemas/{name}Data"}, err["data"], f"error {name} data")
    if meta_schema_path:
        for problem in meta_schema_problems(doc, meta_schema_path):
            fail(path.name, f"OpenRPC meta-schema: {problem}")
        print(f"openrpc.json validated against {pathlib.Path(meta_schema_path).name}")
    return doc, problems


# Codes any request can get whatever its method (README: errors, shutdown).
GENERIC_CODES = {-32700, -32600, -32601, -32603, -32029, -32006}


def concrete(value, path=(), wild=None):
    """(value with wildcards unescaped, paths of the wildcards): a schema check ignores what a
    wildcard stands for."""
    if wild is None:
        wild = []
    if isinstance(value, str):
        if value in WILDCARDS:
            wild.append(path)
            return value, wild
        return (value[1:] if value.startswith("$$") else value), wild
    if isinstance(value, list):
        return [concrete(v, path + (i,), wild)[0] for i, v in enumerate(value)], wild
    if isinstance(value, dict):
        return {k: concrete(v, path + (k,), wild)[0] for k, v in value.items()}, wild
    return value, wild


class SpecCheck:
    """Checks transcript exchanges against openrpc.json."""

    def __init__(self, doc, problems):
        self.doc = doc
        self.problems = problems
        self.methods = {m["name"]: m for m in doc["methods"]} if doc else {}
        self.error_names = {e["code"]: name for name, e in doc["components"]["errors"].items()} if doc else {}

    def method_errors(self, m):
        codes = set()
        for e in m.get("errors", []):
            try:
                codes.add(resolve(self.doc, e["$ref"])["code"] if "$ref" in e else e["code"])
            except (KeyError, TypeError):
                pass
        return codes

    def exchange(self, where, request, replies):
        if not isinstance(request, dict) or not isinstance(request.get("method"), str) \
                or request["method"] not in self.methods:
            return
        m = self.methods[request["method"]]
        params = request.get("params", {})
        params_ok = True
        if self.problems and isinstance(params, dict) and "x-params-schema" in m:
            params_ok = not self.problems(m["x-params-schema"], params)
        for reply in replies:
            if not isinstance(reply, dict) or "id" not in request or reply.get("id") != request.get("id"):
                continue
            error = reply.get("error")
            if isinstance(params, dict) and not params_ok and (not isinstance(error, dict) or error.get("code") != -32602):
                fail(where, f"params break {m['name']}'s x-params-schema but the expected reply is not -32602")
            if isinstance(error, dict):
                code = error.get("code")
                if code not in GENERIC_CODES and code not in self.method_errors(m):
                    fail(where, f"{m['name']} does not list error {code} in openrpc.json")
                name = self.error_names.get(code)
                if self.problems and name and "data" in error:
                    data, wild = concrete(error["data"])
                    for problem in self.problems({"$ref": f"#/components/schemas/{name}Data"}, data, wild):
                        fail(where, f"expected data breaks {name}Data: {problem}")
            elif "result" in reply and m["name"] == "daemon.info":
                listed = (reply["result"].get("capabilities") or {}).get("methods") if isinstance(reply["result"], dict) else None
                if isinstance(listed, list) and listed != sorted(self.methods):
                    fail(where, f"capabilities.methods {listed} differs from openrpc.json's methods {sorted(self.methods)}")
            if "result" in reply and self.problems:
                result, wild = concrete(reply["result"])
                for problem in self.problems(m["result"]["schema"], result, wild):
                    fail(where, f"expected result breaks {m['name']}'s result schema: {problem}")


def check_transcript(path, spec):
    rel = path.relative_to(ROOT)
    against_spec = rel.parts[1] != "spec"
    exchange = None  # (where, request, [expected replies])

    def flush():
        if exchange and against_spec:
            spec.exchange(*exchange)
    lines = path.read_bytes().split(b"\n")
    if b"\r" in path.read_bytes():
        fail(rel, "contains CR; transcripts use LF line endings")
    raw_allowed = False
    sends = expects = 0
    in_header = True
    for no, raw in enumerate(lines, 1):
        line = raw.decode("utf-8")
        where = f"{rel}:{no}"
        if line.startswith("// @"):
            if not in_header:
                fail(where, "directive after the first exchange")
            key, _, value = line[4:].partition(":")
            key, value = key.strip(), value.strip()
            if key not in DIRECTIVES:
                fail(where, f"unknown directive {key!r}")
            elif DIRECTIVES[key] is None:
                if not value.isdigit() or int(value) < 1:
                    fail(where, f"{key} needs a positive integer")
            elif value not in DIRECTIVES[key]:
                fail(where, f"{key} must be one of {sorted(DIRECTIVES[key])}")
            raw_allowed |= key == "raw"
            continue
        if line.startswith("//") or line.strip() == "":
            continue
        if line.startswith(">> "):
            in_header = False
            payload = line[3:]
            if sends == 0 and payload.lstrip(" \t")[:1] not in ("{", "["):
                fail(where, "the first message must start with '{' or '[' (NDJSON framing)")
            sends += 1
            flush()
            exchange = (where, None, [])
            try:
                exchange = (where, loads(payload), [])
            except ValueError as e:
                if not raw_allowed:
                    fail(where, f"not JSON ({e}); add `// @raw: allowed` if intended")
            continue
        if line.startswith("<< "):
            if sends == 0:
                fail(where, "expected reply before any request")
            expects += 1
            try:
                value = loads(line[3:])
            except ValueError as e:
                fail(where, f"expected reply is not JSON: {e}")
                continue
            exchange[2].append(value)
            for s in walk_strings(value):
                if s.startswith("$") and not s.startswith("$$") and s not in WILDCARDS:
                    fail(where, f"unknown wildcard {s!r}")
            if "transcript-sentinel-" in line:
                fail(where, "ids starting with transcript-sentinel- are reserved for the runner")
            continue
        fail(where, "line is not `>> `, `<< `, `//` or blank")
    flush()
    if sends == 0:
        fail(rel, "no request")
    return sends, expects


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meta-schema", metavar="PATH",
                    help="validate against this OpenRPC 1.3 meta-schema (e.g. a local copy of open-rpc/spec "
                         "spec/1.3/schema.json) instead of protocol/tools/openrpc-1.3.meta.schema.json")
    args = ap.parse_args()
    if args.meta_schema is None and OUR_META_SCHEMA.is_file():
        args.meta_schema = str(OUR_META_SCHEMA)
    doc, problems = check_openrpc(args.meta_schema)
    spec = SpecCheck(doc, problems)
    files = sorted((ROOT / "tests").rglob("*.io"))
    for method in doc.get("methods", []):
        # Every method is replayed somewhere: tests/<method>/ holds at least one transcript.
        if not any(f.parent == ROOT / "tests" / method["name"] for f in files):
            fail("tests/", f"no transcript for {method['name']} (add tests/{method['name']}/<case>.io)")
    totals = [check_transcript(f, spec) for f in files]
    print(f"{len(files)} transcripts, {sum(s for s, _ in totals)} requests, "
          f"{sum(e for _, e in totals)} expected replies")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
