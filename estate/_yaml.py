"""The one YAML reader of every file the tool reads: scenarios, settings, rules.

:func:`load_yaml` is ``yaml.safe_load`` with the holes closed:

* aliases (``*a``, a second use of an anchored ``&a`` value) are refused, so a few
  hundred bytes cannot expand into gigabytes (the "billion laughs" alias bomb);
* a key given twice in one mapping is refused with both line numbers (the
  safe loader would keep only the last, silently dropping the first);
* the text, the nesting depth and the number of nodes are capped;
* ``1e9`` reads as a number (YAML 1.1 reads it as text unless written ``1.0e9``).

Every problem raises the caller's error class (``ScenarioError``, ``SettingsError``,
``RulesError``) naming the file and the line.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from estate.errors import EstateError

__all__ = ["MAX_DEPTH", "MAX_NODES", "MAX_YAML_BYTES", "load_yaml"]

#: the longest YAML text read (1 MB; the shipped scenarios are under 10 KB)
MAX_YAML_BYTES = 1_000_000
#: the deepest nesting of lists and mappings
MAX_DEPTH = 32
#: the most nodes (scalars, lists, mappings) in one document
MAX_NODES = 200_000

_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class _Refused(Exception):
    def __init__(self, line: int, why: str) -> None:
        super().__init__(why)
        self.line, self.why = line, why


#: libyaml's safe loader when PyYAML has it (5-10x faster than the pure-Python one), else the pure one
_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE):
    """The safe loader, refusing aliases, merge keys and duplicate keys, with caps.

    The node tree is composed first (in C where libyaml is there, which also caps
    the nesting) and walked before anything is built: an alias is a node met twice.
    """

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _walk(node)
        return self.construct_document(node)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused(line, "YAML merge keys (<<) are not accepted; write the keys out in full")
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise _Refused(line, f"a key must be plain text, not {type(key).__name__}") from None
            if key in seen:
                raise _Refused(line, f"key {key!r} appears twice in one mapping (lines {seen[key]} and {line}); "
                                     "the first would be lost: merge them into one")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _walk(root: Any) -> None:
    """Refuse a node tree with an alias (a node reached twice), too many nodes or too deep."""
    seen: set[int] = set()
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        line = node.start_mark.line + 1 if node.start_mark else 0
        if id(node) in seen:
            raise _Refused(line, "YAML aliases (*name) and anchors (&name) are not accepted; "
                                 "write each value out in full")
        seen.add(id(node))
        if len(seen) > MAX_NODES:
            raise _Refused(line, f"more than {MAX_NODES:,} values; a file of this tool holds far fewer")
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            if depth > MAX_DEPTH:
                raise _Refused(line, f"nested more than {MAX_DEPTH} levels deep")
            kids = node.value if isinstance(node, yaml.SequenceNode) else [n for kv in node.value for n in kv]
            stack.extend((k, depth + 1) for k in kids)


# YAML 1.2's floats: ``1e9`` and ``5E-3`` are numbers.
_Loader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
for _ch in "-+0123456789.":
    _Loader.yaml_implicit_resolvers[_ch] = [
        (tag, rx) for tag, rx in _Loader.yaml_implicit_resolvers.get(_ch, []) if tag != "tag:yaml.org,2002:float"
    ]
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def load_yaml(text: str, *, path: str, error: type[EstateError]) -> Any:
    """Parse one YAML document safely; problems raise ``error`` naming ``path`` and the line.

    Examples
    --------
    >>> from estate.errors import ScenarioError
    >>> load_yaml("a: 1e9", path="x.yaml", error=ScenarioError)
    {'a': 1000000000.0}
    >>> load_yaml("a: &x [1]\\nb: *x", path="x.yaml", error=ScenarioError)
    Traceback (most recent call last):
    ...
    estate.errors.ScenarioError: x.yaml line 1: YAML aliases (*name) and anchors (&name) are not accepted; write each value out in full
    """
    if not isinstance(text, str):
        raise error(f"{path}: expected YAML text, got {type(text).__name__}")
    if len(text) > MAX_YAML_BYTES:
        raise error(f"{path}: {len(text):,} characters is more than this tool reads ({MAX_YAML_BYTES:,}); "
                    "is it the right file?")
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise error(f"{path} line {exc.line}: {exc.why}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{path}{where}: malformed YAML ({problem}). Check indentation and quoting.") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply to read") from None
    finally:
        loader.dispose()
