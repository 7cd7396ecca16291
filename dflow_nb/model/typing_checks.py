"""Runtime type checks with messages in the user's terms (typeguard does the typing logic)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, List


def describe_type(tp: Any) -> str:
    """``int``, ``List[str]``... as a user wrote it."""
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


def list_of(tp: Any) -> Any:
    """``List[tp]`` for an element type known only at run time (a sliced input's)."""
    generic: Any = List
    return generic[tp]


def type_error(value: Any, tp: Any) -> str | None:
    """None when ``value`` fits ``tp``, else why not (typeguard's reason)."""
    if tp is None or tp is Any or type(value) is tp:   # an exact class needs no typeguard
        return None
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return None
    # typeguard costs ~80 ms to import (asyncio, unittest.mock): only when a check needs it.
    from typeguard import CollectionCheckStrategy, TypeCheckError, check_type
    try:
        check_type(value, tp, collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS)
    except TypeCheckError as exc:
        return str(exc)
    except TypeError:
        return None  # a type typeguard cannot check (e.g. a custom generic): accept
    return None


def literal_matches(value: Any, tp: Any) -> bool:
    """Whether a build-time literal fits a declared parameter type (``str`` accepts Paths)."""
    if tp is str and isinstance(value, Path):
        return True
    return type_error(value, tp) is None
