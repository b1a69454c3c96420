"""Find, in the failing line of a script, the sub-expressions a hint needs.

For `m.node_tree.nodes['Principled BSDF'].inputs['Specular']` failing with
KeyError "Specular", the hint needs the collection `...inputs`; the exception
does not carry it, and it is a temporary, not a local. So we find Subscript
nodes on that line and hand back the source of their container expression,
which the bpy layer re-evaluates in the failing frame.

Only side-effect-free shapes are returned (names, attribute chains, constant
subscripts): re-running `bpy.data.objects.new(...)` to build a hint would
change the scene.
"""

import ast


def _safe(node):
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Attribute):
        return _safe(node.value)
    if isinstance(node, ast.Subscript):
        return _safe(node.value) and _safe(_slice(node))
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return True  # negative index
    return False


def _slice(node):
    s = node.slice
    # Python 3.8 wrapped it in ast.Index; 3.9+ does not. Cheap to keep.
    return getattr(s, "value", s) if type(s).__name__ == "Index" else s


def _nodes_on_line(source, line):
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        start = getattr(node, "lineno", None)
        end = getattr(node, "end_lineno", start)
        if start is not None and start <= line <= (end or start):
            found.append(node)
    # innermost first: the failing access is usually the most nested one
    found.sort(key=lambda n: ((getattr(n, "end_lineno", n.lineno) - n.lineno), -n.col_offset), reverse=False)
    return found


def _unique(items):
    seen = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def subscript_containers(source, line, key=None):
    """Source of `X` for each safe `X[k]` on `line`; those whose `k` is the
    constant `key` first."""
    exact, other = [], []
    for node in _nodes_on_line(source, line):
        if isinstance(node, ast.Subscript) and _safe(node.value):
            sl = _slice(node)
            text = ast.unparse(node.value)
            if isinstance(sl, ast.Constant) and key is not None and sl.value == key:
                exact.append(text)
            else:
                other.append(text)
    return _unique(exact + other)


def attribute_owners(source, line, attr):
    """Source of `X` for each safe `X.attr` on `line`."""
    return _unique(
        ast.unparse(node.value)
        for node in _nodes_on_line(source, line)
        if isinstance(node, ast.Attribute) and node.attr == attr and _safe(node.value)
    )


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def operator_calls(source, line):
    """Operator ids ("mesh.primitive_cube_add") called as `bpy.ops.a.b(...)`
    (or `ops.a.b(...)` after `from bpy import ops`) on `line`."""
    ids = []
    for node in _nodes_on_line(source, line):
        if isinstance(node, ast.Call):
            dotted = _dotted(node.func)
            if not dotted:
                continue
            parts = dotted.split(".")
            if "ops" in parts:
                rest = parts[parts.index("ops") + 1:]
                if len(rest) == 2:
                    ids.append(".".join(rest))
    return _unique(ids)


def assigned_attributes(source, line):
    """`attr` names assigned on `line` (`x.attr = ...`), for enum/type errors."""
    names = []
    for node in _nodes_on_line(source, line):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute):
                    names.append((ast.unparse(target.value) if _safe(target.value) else None, target.attr))
    return names
