"""The one error the grading steps raise: ``python -m grading`` prints it as one line and exits 1."""


class GradingError(Exception):
    """A step cannot go on for a reason the instructor can fix (a missing file, a bad roster, ...).

    The message says what was expected, what was found, and where; it is shown without a traceback.
    """
