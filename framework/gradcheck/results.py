"""What a gradient check found: one TensorCheck per gradient (or behaviour), gathered in a GradCheckResult.

    GradCheckResult      all checks of one object; bool(result) is True when all passed,
                         result.summary() the first failure with its likely cause in one line
    TensorCheck          one gradient compared (or one behaviour checked), its line in the report
    GradientCheckError   raised by result.raise_if_failed(), with the one-line summary
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class GradientCheckError(AssertionError):
    """A gradient check failed; the message is the one-line diagnosis."""


@dataclass
class TensorCheck:
    """The comparison of one gradient (the input's or one parameter's), or one behaviour check."""

    name: str
    passed: bool
    error: float
    tol: float
    index: tuple[int, ...] | None = None
    analytic: float | None = None
    numeric: float | None = None
    cause: str | None = None
    skipped: int = 0
    gradient: bool = True  # False: a behaviour check (input mutated, weights changed, dtype)

    def line(self) -> str:
        status = "ok  " if self.passed else "FAIL"
        if not self.gradient:
            return f"{status} {self.name:<10} {self.cause}"
        err = "     n/a" if not np.isfinite(self.error) else f"{self.error:8.1e}"
        text = f"{status} {self.name:<10} relative error {err}  (should be < {self.tol:.0e})"
        if not self.passed and self.index is not None:
            text += f"; worst at {self.index}: analytic {self.analytic:.6g} vs numeric {self.numeric:.6g}"
        if self.cause:
            text += f"; likely cause: {self.cause}"
        if self.skipped:
            text += f" [{self.skipped} element(s) at a kink skipped]"
        return text


@dataclass
class GradCheckResult:
    """All checks of one object. ``bool(result)`` is True when every check passed."""

    target: str
    checks: list[TensorCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def __bool__(self) -> bool:
        return self.passed

    def failures(self) -> list[TensorCheck]:
        return [c for c in self.checks if not c.passed]

    def summary(self) -> str:
        """One line: 'all gradient checks passed' or the first failure with its likely cause."""
        if not self.checks:
            return f"{self.target}: nothing was checked (no input gradient and no parameters)"
        bad = self.failures()
        if not bad:
            return f"{self.target}: all {len(self.checks)} gradient checks passed"
        first = bad[0]
        more = f" (+{len(bad) - 1} more failing)" if len(bad) > 1 else ""
        if not first.gradient:
            return f"{self.target}: {first.cause}{more}"
        text = f"{self.target}: {first.name} is wrong"
        if first.index is not None:
            text += (
                f" (relative error {first.error:.1e} > {first.tol:.0e}; at index {first.index}"
                f" analytic {first.analytic:.6g} vs numeric {first.numeric:.6g})"
            )
        if first.cause:
            text += f"; likely cause: {first.cause}"
        return text + more

    def raise_if_failed(self) -> "GradCheckResult":
        if not self.passed:
            raise GradientCheckError(self.summary())
        return self

    def __str__(self) -> str:
        lines = [f"gradient check of {self.target}:", *("  " + c.line() for c in self.checks)]
        if not self.checks:
            lines.append("  FAIL nothing was checked")
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])

    __repr__ = __str__
