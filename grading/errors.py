"""The one error the grading steps raise: ``python -m grading`` prints its message and exits 1."""


class GradingError(Exception):
    """A step cannot go on for a reason the instructor can fix (a missing file, a bad roster, ...).

    The message says what was expected, what was found, and where; it is shown without a traceback,
    as one line (a list of findings, such as the leaks that stop a release, on the lines below it).
    The steps' own kinds (``PipelineError``, ``FeedbackError``, ``PublishError``) are GradingErrors.
    """
