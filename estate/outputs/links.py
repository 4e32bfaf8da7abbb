"""Shareable views: the app's page and choices as a URL query string, and back.

``?page=compare&base=baseline-2024&scenario=outcome-2026&mode=transit&band=night&threshold=45&borough=E09000005``
uses the ids the CLI takes; the Optimise page adds its question and choices
(``?page=optimise&question=close&start=baseline-2024&k=3&rules=default&measure=beyond&method=heuristic``);
``draft=`` carries the random key of the session's kept Build draft
(:class:`estate.drafts.DraftStore`), so a reload finds it.  :func:`read_view` keeps only values among the
known choices and says, without repeating them, which were ignored: a link
can never make the app run, show or fetch what it carries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

__all__ = ["INTEGER_PARAMS", "PARAMS", "View", "read_view", "view_query"]

#: the query parameters, in the order a link lists them (each is also the widget key)
PARAMS: tuple[str, ...] = ("page", "base", "scenario", "mode", "band", "threshold", "borough", "metric",
                           "postcode", "question", "start", "k", "m", "target", "measure", "method", "rules",
                           "draft")
#: the parameters whose value is a whole number (the widget holds an int)
INTEGER_PARAMS: frozenset[str] = frozenset({"threshold", "k", "m", "target"})

#: longest value read from a link
_MAX_LEN = 64


@dataclass(frozen=True)
class View:
    """The choices a link carries (only known ones) and the parameters it ignored."""

    values: dict[str, str]
    ignored: tuple[str, ...]

    def message(self) -> str:
        """A plain sentence naming the ignored parameters (never their values), or ``""``.

        Examples
        --------
        >>> View({}, ("mode", "an unknown parameter")).message()
        'This link had values the app does not know for mode and an unknown parameter; they were ignored.'
        """
        if not self.ignored:
            return ""
        names = list(self.ignored)
        said = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"This link had values the app does not know for {said}; they were ignored."


def read_view(query: Mapping[str, str | Sequence[str]], choices: Mapping[str, Sequence[str]],
              *, free: Mapping[str, object] | None = None) -> View:
    """The known choices of a query (``st.query_params`` or a parsed URL).

    ``choices`` maps a parameter to its allowed values (text); ``free`` maps a
    parameter to a checker ``text -> bool`` for open-ended values (a postcode).
    Unknown parameters, unknown or over-long values, and repeated parameters are ignored.

    Examples
    --------
    >>> v = read_view({"mode": "walk", "band": "<script>", "x": "1"}, {"mode": ["walk"], "band": ["day"]})
    >>> v.values, v.ignored
    ({'mode': 'walk'}, ('band', 'an unknown parameter'))
    """
    free = free or {}
    values: dict[str, str] = {}
    ignored: list[str] = []
    unknown = False
    for key, raw in query.items():
        if key not in choices and key not in free:
            unknown = True
            continue
        if not isinstance(raw, str):
            raw = raw[0] if len(raw) == 1 else ""
        val = str(raw)
        ok = len(val) <= _MAX_LEN and (val in choices[key] if key in choices else bool(free[key](val)))  # type: ignore[operator]
        if ok:
            values[key] = val
        else:
            ignored.append(key)
    if unknown:
        ignored.append("an unknown parameter")
    return View(values, tuple(ignored))


def view_query(values: Mapping[str, object]) -> str:
    """The query string of a view, parameters in :data:`PARAMS` order, empty values left out.

    Examples
    --------
    >>> view_query({"mode": "transit", "page": "compare", "borough": ""})
    'page=compare&mode=transit'
    """
    pairs = [(k, str(values[k])) for k in PARAMS if k in values and values[k] not in (None, "")]
    return urlencode(pairs)
