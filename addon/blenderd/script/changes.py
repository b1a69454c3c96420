"""Change sets between two snapshots of bpy.data.

A snapshot is `{collection: {name: fingerprint}}` (built by the bpy layer);
comparing them here keeps the rule "same name, different fingerprint means
modified" testable without Blender.
"""

MAX_NAMES = 100  # per list; a script that makes 10k objects needs a count, not a novel


def _capped(names):
    names = sorted(names)
    if len(names) > MAX_NAMES:
        return names[:MAX_NAMES], len(names)
    return names, None


def diff(before, after):
    """{collection: {added, removed, modified}} with only non-empty lists.

    When a list is cut at MAX_NAMES the entry also has `<list>_count`.
    """
    result = {}
    for collection in sorted(set(before) | set(after)):
        old = before.get(collection, {})
        new = after.get(collection, {})
        entry = {}
        lists = {
            "added": [n for n in new if n not in old],
            "removed": [n for n in old if n not in new],
            "modified": [n for n in new if n in old and new[n] != old[n]],
        }
        for key, names in lists.items():
            if names:
                entry[key], total = _capped(names)
                if total is not None:
                    entry[key + "_count"] = total
        if entry:
            result[collection] = entry
    return result
