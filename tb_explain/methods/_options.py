"""Declared options of the attribution methods and their checks.

Each method module declares its options as ``{name: Option}``. The checks run
before any model work, so that a wrong value fails fast with a message that
names the argument, the value received and what is accepted.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Option:
    """One keyword option of a method.

    Attributes:
        default: The value used when the option is not given.
        check: ``check(name, value) -> value``; returns the normalised value
            or raises ``ValueError``/``TypeError``.
    """

    default: Any
    check: Callable[[str, Any], Any]


def received(name: str, value: Any) -> str:
    """Returns the ``Received: `name=value`.`` part of an error message."""
    return f"Received: `{name}={value!r}`."


def integer(minimum: int) -> Callable[[str, Any], int]:
    """Returns a check for an int of at least ``minimum``."""

    def check(name: str, value: Any) -> int:
        is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        if not is_int or value < minimum:
            raise ValueError(
                f"`{name}` must be an int >= {minimum}. {received(name, value)}"
            )
        return int(value)

    return check


def number(minimum: float) -> Callable[[str, Any], float]:
    """Returns a check for a real number of at least ``minimum``."""

    def check(name: str, value: Any) -> float:
        is_real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not is_real or value < minimum:
            raise ValueError(
                f"`{name}` must be a number >= {minimum}. {received(name, value)}"
            )
        return float(value)

    return check


def choice(*accepted: str) -> Callable[[str, Any], str]:
    """Returns a check for one of the strings ``accepted``."""

    def check(name: str, value: Any) -> str:
        if value not in accepted:
            expected = ", ".join(repr(a) for a in accepted)
            raise ValueError(
                f"Unknown `{name}={value!r}`. Expected one of: {expected}."
            )
        return value

    return check


def boolean(name: str, value: Any) -> bool:
    """Checks a bool option."""
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be True or False. {received(name, value)}")
    return value


def optional_int(name: str, value: Any) -> int | None:
    """Checks an option that is None or an int (a seed)."""
    if value is None:
        return None
    return integer(0)(name, value)


def optional_positive(name: str, value: Any) -> int | None:
    """Checks an option that is None (automatic) or an int >= 1."""
    if value is None:
        return None
    return integer(1)(name, value)


def optional_name(name: str, value: Any) -> str | None:
    """Checks an option that is None or a string (a layer name)."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"`{name}` must be a string. {received(name, value)}")
    return value


def output_selector(name: str, value: Any) -> int | str | None:
    """Checks ``output``: None, an output index or an output name."""
    if value is None or isinstance(value, str):
        return value
    return integer(0)(name, value)


def pair(name: str, value: Any) -> tuple[int, int] | None:
    """Checks a window or stride: None, an int or a pair of ints >= 1."""
    if value is None:
        return None
    values = (value, value) if not isinstance(value, tuple | list) else value
    if len(values) != 2:
        raise ValueError(
            f"`{name}` must be an int or a pair of ints >= 1. {received(name, value)}"
        )
    height, width = (integer(1)(name, v) for v in values)
    return height, width


def passthrough(name: str, value: Any) -> Any:
    """Accepts any value; the method checks it against the inputs later."""
    return value


COMMON = {
    "batch_size": Option(None, optional_positive),
    "output": Option(None, output_selector),
    "baselines": Option(None, passthrough),
}
"""Options every method accepts. ``baselines`` is ignored where unused."""


def resolve(
    method: str, declared: Mapping[str, Option], given: Mapping[str, Any]
) -> dict[str, Any]:
    """Checks the given options and fills in the defaults.

    Args:
        method: The method name, for the error message.
        declared: The method's own options; the common ones are added.
        given: The options as the user passed them (not mutated).

    Returns:
        A new dict with every declared option, normalised.

    Raises:
        ValueError: An unknown option or a value out of range.
        TypeError: A value of the wrong type.
    """
    accepted = {**COMMON, **declared}
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        name = unknown[0]
        raise ValueError(
            f"Unknown option `{name}={given[name]!r}` for method '{method}'. "
            f"Accepted options: {', '.join(sorted(accepted))}."
        )
    values = {name: option.default for name, option in accepted.items()}
    for name, value in given.items():
        values[name] = accepted[name].check(name, value)
    return values


@dataclass(frozen=True)
class Spec:
    """What the registry knows of one method.

    Attributes:
        options: The method's own options (the common ones are implied).
        run: ``run(job)`` -> attributions per input (a list), Grad-CAM maps
            (an array) or ``(attributions, delta)``.
        check: ``check(job)``: method-specific checks, before heavy work.
        label: A readable name, e.g. "Integrated gradients".
    """

    options: Mapping[str, Option]
    run: Callable[[Any], Any]
    check: Callable[[Any], None]
    label: str


def no_check(job: Any) -> None:
    """A method with nothing to check beyond its options."""
