"""Attribute filtering of custom results (SPEC §4.6; Candlepin's DynamicFilter semantics).

Paths are dotted (`consumer.owner.key`), matched per segment case-insensitively. Lists are
transparent: a filter applies to every element. `include` keeps each named subtree plus the objects on
the way to it; `exclude` removes each named subtree. A path that names nothing changes nothing.
"""

from __future__ import annotations

from typing import Any

# A path trie: segment (lower-case) → sub-trie; TERMINAL marks the end of a path.
Trie = dict[str, Any]
TERMINAL = ""


def build_trie(paths: list[str]) -> Trie:
    trie: Trie = {}
    for path in paths:
        segments = [segment.strip().lower() for segment in path.split(".")]
        if not all(segments):
            continue
        node = trie
        for segment in segments:
            node = node.setdefault(segment, {})
        node[TERMINAL] = True
    return trie


def include_only(value: Any, paths: list[str]) -> Any:
    trie = build_trie(paths)
    return _include(value, trie) if trie else value


def exclude(value: Any, paths: list[str]) -> Any:
    trie = build_trie(paths)
    return _exclude(value, trie) if trie else value


def _include(value: Any, trie: Trie) -> Any:
    if isinstance(value, list):
        return [_include(item, trie) for item in value]
    if not isinstance(value, dict):
        return value
    kept: dict[str, Any] = {}
    for key, item in value.items():
        node = trie.get(key.lower())
        if node is None:
            continue
        if TERMINAL in node:
            kept[key] = item
        elif isinstance(item, (dict, list)):
            kept[key] = _include(item, node)
    return kept


def _exclude(value: Any, trie: Trie) -> Any:
    if isinstance(value, list):
        return [_exclude(item, trie) for item in value]
    if not isinstance(value, dict):
        return value
    kept: dict[str, Any] = {}
    for key, item in value.items():
        node = trie.get(key.lower())
        if node is None:
            kept[key] = item
        elif TERMINAL not in node:
            kept[key] = _exclude(item, node)
    return kept
