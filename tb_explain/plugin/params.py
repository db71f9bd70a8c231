"""Query-parameter parsing for the routes.

Every parameter is read once, strictly: a value that is missing (when
required), repeated, empty, signed, fractional, non-numeric or too large is an
``InvalidArgumentError`` (HTTP 400) that names the parameter and quotes the
value received.
"""

from __future__ import annotations

from collections.abc import Sequence

from tensorboard import errors

MAX_INT = 2**31 - 1
MAX_TEXT = 1024


def _single(args, name: str, required: bool) -> str | None:
    values = args.getlist(name)
    if not values:
        if required:
            raise errors.InvalidArgumentError(f"Missing parameter {name!r}.")
        return None
    if len(values) > 1:
        raise errors.InvalidArgumentError(
            f"Parameter {name!r} given {len(values)} times; give it once. "
            f"Received: {name}={values[:4]!r}"
        )
    return values[0]


def get_text(args, name: str, *, required: bool = True) -> str | None:
    """A non-empty text parameter (a run or a method key).

    Args:
        args: The request's query arguments (a werkzeug ``MultiDict``).
        name: The parameter's name.
        required: Whether a missing parameter is an error (else None).

    Raises:
        errors.InvalidArgumentError: When missing, repeated, empty or longer
            than ``MAX_TEXT`` characters.
    """
    value = _single(args, name, required)
    if value is None:
        return None
    if not value or len(value) > MAX_TEXT:
        raise errors.InvalidArgumentError(
            f"Parameter {name!r} must be 1 to {MAX_TEXT} characters. "
            f"Received: {name}={value[:80]!r} ({len(value)} characters)"
        )
    return value


def get_int(args, name: str, *, required: bool = True) -> int | None:
    """A non-negative integer parameter written in plain decimal digits.

    Args:
        args: The request's query arguments (a werkzeug ``MultiDict``).
        name: The parameter's name.
        required: Whether a missing parameter is an error (else None).

    Raises:
        errors.InvalidArgumentError: When missing, repeated, empty, negative,
            not an integer (``1.5``, ``NaN``, ``1e3``) or above ``MAX_INT``.
    """
    value = _single(args, name, required)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise errors.InvalidArgumentError(
            f"Parameter {name!r} must be a non-negative integer. "
            f"Received: {name}={value[:80]!r}"
        )
    if len(value) > 10 or int(value) > MAX_INT:
        raise errors.InvalidArgumentError(
            f"Parameter {name!r} must be at most {MAX_INT}. "
            f"Received: {name}={value[:80]!r}"
        )
    return int(value)


def get_choice(args, name: str, choices: Sequence[str], default: str) -> str:
    """An optional parameter from a fixed set of choices.

    Raises:
        errors.InvalidArgumentError: When repeated or not one of ``choices``.
    """
    value = _single(args, name, required=False)
    if value is None:
        return default
    if value not in choices:
        raise errors.InvalidArgumentError(
            f"Parameter {name!r} must be one of {list(choices)!r}. "
            f"Received: {name}={value[:80]!r}"
        )
    return value
