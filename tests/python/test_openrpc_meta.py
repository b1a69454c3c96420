"""protocol/openrpc.json against blenderd's OpenRPC 1.3 meta-schema
(protocol/tools/openrpc-1.3.meta.schema.json), through protocol/tools/check.py as scripts/test.sh
runs it: the document validates, and each kind of breakage the specification forbids is refused
with a JSON pointer to the member to fix."""

import copy
import importlib.util
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("jsonschema")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK_PY = os.path.join(REPO, "protocol", "tools", "check.py")


def load_check():
    spec = importlib.util.spec_from_file_location("protocol_check", CHECK_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = load_check()
META = check.OUR_META_SCHEMA


@pytest.fixture(scope="module")
def doc():
    with open(os.path.join(REPO, "protocol", "openrpc.json"), encoding="utf-8") as f:
        return json.load(f)


def problems(document):
    return check.meta_schema_problems(document, META)


def method_index(document, predicate):
    return next(i for i, m in enumerate(document["methods"]) if predicate(m))


def assert_refused(document, message, at):
    found = problems(document)
    assert any(message in p and p.endswith(" at " + at) for p in found), \
        f"expected {message!r} at {at}, got {found}"


def test_the_meta_schema_is_ours_and_a_valid_draft7_schema():
    import jsonschema

    assert META.is_file()
    meta = json.loads(META.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(meta)
    assert "written from the specification" in meta["$comment"]


def test_openrpc_json_validates(doc):
    assert problems(doc) == []


def test_missing_info_title_is_refused(doc):
    broken = copy.deepcopy(doc)
    del broken["info"]["title"]
    assert_refused(broken, "'title' is a required property", "/info")


def test_method_without_params_is_refused(doc):
    broken = copy.deepcopy(doc)
    del broken["methods"][2]["params"]
    assert_refused(broken, "'params' is a required property", "/methods/2")


def test_unknown_param_structure_is_refused(doc):
    broken = copy.deepcopy(doc)
    broken["methods"][0]["paramStructure"] = "sideways"
    assert_refused(broken, "'sideways' is not one of ['by-name', 'by-position', 'either']",
                   "/methods/0/paramStructure")


def test_error_with_a_string_code_is_refused(doc):
    broken = copy.deepcopy(doc)
    name = next(iter(broken["components"]["errors"]))
    broken["components"]["errors"][name]["code"] = "-32602"
    assert_refused(broken, "'-32602' is not of type 'integer'", f"/components/errors/{name}/code")
    # An inline Error Object in a method's errors, not only a referenced one.
    i = method_index(broken, lambda m: m.get("errors"))
    broken["methods"][i]["errors"].append({"code": "oops", "message": "Broken"})
    at = f"/methods/{i}/errors/{len(broken['methods'][i]['errors']) - 1}/code"
    assert_refused(broken, "'oops' is not of type 'integer'", at)


def test_unknown_top_level_member_is_refused(doc):
    broken = copy.deepcopy(doc)
    broken["foo"] = 1
    # jsonschema words additionalProperties beside patternProperties this way.
    assert_refused(broken, "'foo' does not match any of the regexes: '^x-'", "/ (the document)")


def test_content_descriptor_without_schema_is_refused(doc):
    broken = copy.deepcopy(doc)
    i = method_index(broken, lambda m: m["params"])
    del broken["methods"][i]["params"][0]["schema"]
    assert_refused(broken, "'schema' is a required property", f"/methods/{i}/params/0")
    del broken["methods"][i]["result"]["schema"]
    assert_refused(broken, "'schema' is a required property", f"/methods/{i}/result")


def test_openrpc_version_other_than_1_3_is_refused(doc):
    broken = copy.deepcopy(doc)
    broken["openrpc"] = "2.0.0"
    assert_refused(broken, "'2.0.0' does not match", "/openrpc")


def test_schema_object_must_be_draft7(doc):
    broken = copy.deepcopy(doc)
    i = method_index(broken, lambda m: m["params"])
    broken["methods"][i]["params"][0]["schema"] = {"type": "widget"}
    assert_refused(broken, "'widget' is not valid under any of the given schemas",
                   f"/methods/{i}/params/0/schema/type")


def test_reference_object_takes_only_ref(doc):
    broken = copy.deepcopy(doc)
    i = method_index(broken, lambda m: m.get("errors"))
    broken["methods"][i]["errors"][0]["description"] = "lost beside $ref"
    assert_refused(broken, "Additional properties are not allowed ('description' was unexpected)",
                   f"/methods/{i}/errors/0")


def test_example_value_and_external_value_are_exclusive(doc):
    broken = copy.deepcopy(doc)
    i = method_index(broken, lambda m: m.get("examples"))
    broken["methods"][i]["examples"][0]["result"]["externalValue"] = "https://example.org/result.json"
    assert_refused(broken, "should not be valid", f"/methods/{i}/examples/0/result/externalValue")


def test_component_keys_follow_the_spec_pattern(doc):
    broken = copy.deepcopy(doc)
    broken["components"]["schemas"]["Has Space"] = {"type": "string"}
    assert_refused(broken, "'Has Space' does not match", "/components/schemas")


def test_x_extensions_are_accepted(doc):
    extended = copy.deepcopy(doc)
    extended["x-whatever"] = {"any": ["json", 1, None]}
    extended["info"]["x-whatever"] = True
    extended["methods"][0]["x-whatever"] = "yes"
    extended["components"]["x-whatever"] = 0
    i = method_index(extended, lambda m: m["params"])
    extended["methods"][i]["params"][0]["x-whatever"] = None
    assert problems(extended) == []
    # ... but only with the x- prefix.
    extended["methods"][0]["whatever"] = "no"
    assert_refused(extended, "'whatever' does not match any of the regexes: '^x-'", "/methods/0")


def spec_rule_failures(document):
    check.failures.clear()
    check.check_spec_rules(document, "openrpc.json")
    found = list(check.failures)
    check.failures.clear()
    return found


def test_rules_json_schema_cannot_state_are_checked_by_check_py(doc):
    assert spec_rule_failures(doc) == []
    i = method_index(doc, lambda m: len(m["params"]) >= 2 and m["params"][0].get("required")
                     and not m["params"][-1].get("required", False))
    name = doc["methods"][i]["name"]

    duplicated = copy.deepcopy(doc)
    duplicated["methods"][i]["params"].append(copy.deepcopy(duplicated["methods"][i]["params"][0]))
    found = spec_rule_failures(duplicated)
    assert any(f"method {name}: duplicate params" in f for f in found), found

    reordered = copy.deepcopy(doc)
    reordered["methods"][i]["params"].reverse()
    found = spec_rule_failures(reordered)
    assert any(f"method {name}: required param" in f and "comes after optional" in f for f in found), found

    errors = copy.deepcopy(doc)
    j = method_index(errors, lambda m: m.get("errors"))
    errors["methods"][j]["errors"].append(copy.deepcopy(errors["methods"][j]["errors"][0]))
    found = spec_rule_failures(errors)
    assert any(f"method {errors['methods'][j]['name']}: error codes" in f for f in found), found


def test_check_py_validates_against_our_meta_schema_by_default():
    run = subprocess.run([sys.executable, CHECK_PY], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "openrpc.json validated against openrpc-1.3.meta.schema.json" in run.stdout
