"""Hints from live objects: which collection a KeyError was about, what
attributes the object really has, what an operator accepts, what context
it needs. Message parsing and phrasing are in `blenderd.script.hints`."""

import builtins

import bpy

from ..script import astscan, hints

_MISSING = object()


def _evaluate(expr, frame):
    """Value of a side-effect-free expression in the failing frame, or _MISSING."""
    try:
        code = compile(expr, "<blenderd-hint>", "eval")
        return eval(code, frame.f_globals, frame.f_locals)
    except Exception:
        return _MISSING


def _keys(container):
    keys = getattr(container, "keys", None)
    if not callable(keys):
        return None
    try:
        return list(keys())
    except Exception:
        return None


def rna_names(obj):
    """Attribute names an agent may mean: RNA properties and functions plus dir()."""
    names = []
    rna = getattr(obj, "bl_rna", None)
    if rna is not None:
        names += [p.identifier for p in rna.properties if p.identifier != "rna_type"]
        names += [f.identifier for f in rna.functions]
    try:
        names += dir(obj)
    except Exception:
        pass
    return list(dict.fromkeys(names))


def _describe(container, expr):
    owner = getattr(container, "id_data", None)
    data = getattr(container, "data", None)  # bpy_prop_collection.data: the struct owning it
    label = expr
    name = getattr(data, "name", None)
    if isinstance(name, str) and data is not None and hasattr(data, "bl_rna"):
        label = "%s (%s %r)" % (expr, data.bl_rna.identifier, name)
    elif owner is not None and getattr(owner, "name", None):
        label = "%s (of %s %r)" % (expr, owner.bl_rna.identifier, owner.name)
    return label


def _key_hints(exc, frame, source, line):
    key = hints.parse_missing_key(exc)
    if key is None:
        return []
    tried = []
    for expr in astscan.subscript_containers(source, line, key):
        container = _evaluate(expr, frame)
        keys = _keys(container) if container is not _MISSING else None
        if keys is not None and key not in keys:
            return hints.key_hint(key, keys, _describe(container, expr))
        tried.append(expr)
    # The key may come from a variable the AST cannot follow: look for any
    # collection in the frame's locals that lacks the key.
    for name, value in list(frame.f_locals.items()):
        if type(value).__name__.startswith("bpy_prop_collection"):
            keys = _keys(value)
            if keys is not None and key not in keys:
                return hints.key_hint(key, keys, name)
    return []


def _attribute_hints(exc, frame, source, line):
    parsed = hints.parse_attribute_error(exc)
    if parsed is None:
        return []
    owner_type, attr = parsed
    if owner_type == "NoneType":
        exprs = astscan.attribute_owners(source, line, attr)
        expr = next((e for e in exprs if _evaluate(e, frame) is None), None)
        return hints.none_attribute_hint(attr, expr)
    # Python 3.10+ sets .name/.obj for plain objects; .obj is None when unset
    obj = exc.obj if getattr(exc, "name", None) and hasattr(exc, "obj") else _MISSING
    if obj is _MISSING:
        for expr in astscan.attribute_owners(source, line, attr):
            value = _evaluate(expr, frame)
            if value is not _MISSING and not hasattr(value, attr):
                obj = value
                break
    if obj is _MISSING:
        return hints.attribute_hint(attr, [], owner_type)
    rna = getattr(obj, "bl_rna", None)
    label = rna.identifier if rna is not None else type(obj).__name__
    if type(obj).__name__ == "bpy_prop_collection":
        label = "this collection (keys: %s)" % hints.listing(_keys(obj) or [])
    return hints.attribute_hint(attr, rna_names(obj), label)


def operator_parameters(op_id):
    module, name = op_id.split(".", 1)
    op = getattr(getattr(bpy.ops, module), name)
    return [p.identifier for p in op.get_rna_type().properties if p.identifier != "rna_type"]


def _type_error_hints(exc, frame, source, line):
    message = str(exc)
    enum = hints.parse_enum_error(message)
    if enum:
        value, allowed = enum
        target = hints.parse_enum_keyword(message)
        assigned = astscan.assigned_attributes(source, line)
        if assigned and target is None:
            owner, attr = assigned[0]
            target = "%s.%s" % (owner, attr) if owner else attr
        return hints.enum_hint(value, allowed, target)
    keyword = hints.parse_keyword_error(message)
    if keyword:
        for op_id in astscan.operator_calls(source, line):
            try:
                params = operator_parameters(op_id)
            except Exception:
                continue
            if keyword not in params:
                return hints.keyword_hint(keyword, op_id, params)
    return []


def context_facts():
    ctx = bpy.context
    active = getattr(ctx, "active_object", None)
    has_view3d = False
    wm = getattr(ctx, "window_manager", None)
    for window in (wm.windows if wm else []):
        if window.screen and any(a.type == "VIEW_3D" for a in window.screen.areas):
            has_view3d = True
    return {
        "mode": ctx.mode,
        "active": active.name if active else None,
        "active_type": active.type if active else None,
        "selected": len(getattr(ctx, "selected_objects", None) or []),
        "has_view3d": has_view3d,
        "background": bool(bpy.app.background),
    }


def _runtime_hints(exc):
    poll = hints.parse_poll_failure(str(exc))
    if poll:
        op_id, reason = poll
        return hints.poll_hint(op_id, reason, context_facts(), tuple(bpy.app.version))
    return []


def hints_for(exc, frame, source, line):
    """Hint strings for `exc`, raised at `line` of `source` in `frame` (the
    innermost frame of the script). Never raises: a hint is a bonus."""
    try:
        if isinstance(exc, SystemExit):
            return hints.system_exit_hint()
        if frame is None:
            return []
        if isinstance(exc, KeyError):
            return _key_hints(exc, frame, source, line)
        if isinstance(exc, NameError):
            name = hints.parse_name_error(exc)
            names = list(frame.f_globals) + list(frame.f_locals) + dir(builtins)
            return hints.name_error_hint(name, names) if name else []
        if isinstance(exc, AttributeError):
            missing = hints.parse_missing_operator(str(exc))
            if missing:
                module, name = missing
                available = dir(getattr(bpy.ops, module, None)) if hasattr(bpy.ops, module) else []
                return hints.missing_operator_hint(module, name, available)
            ro = hints.parse_read_only(str(exc))
            if ro:
                return hints.read_only_hint(*ro)
            return _attribute_hints(exc, frame, source, line)
        if isinstance(exc, TypeError):
            return _type_error_hints(exc, frame, source, line)
        if isinstance(exc, RuntimeError):
            return _runtime_hints(exc)
    except Exception as err:  # pragma: no cover - defensive
        return ["(no hint: %s: %s)" % (type(err).__name__, err)]
    return []
