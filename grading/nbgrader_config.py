"""nbgrader settings of the course (used by ``python -m grading`` and by the ``nbgrader`` CLI run here)."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if os.path.dirname(HERE) not in sys.path:  # so the CLI run from here finds grading.preprocessors
    sys.path.insert(0, os.path.dirname(HERE))

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "numpy-nets"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")

# Per-cell limit while validating and autograding; `python -m grading` replaces it with the
# assignment's value from course.toml [timeouts]. The slowest graded cell of ps1 (the closing
# run, 10 epochs on digits) takes 0.2 s on one core with the reference solution; 30 s leaves
# room for a correct but loop-heavy answer on a slow machine, and still stops an infinite
# loop in a student's answer quickly.
c.Execute.timeout = 30

# Students' notebooks run in the sandbox (grading/sandbox.py: bubblewrap, no network, resource
# limits, nothing of the course visible), with their output bounded in bytes as it arrives:
# nbgrader's Execute replaced by the course's (the nbgrader CLI run here is sandboxed too).
from nbgrader.converters import Autograde  # noqa: E402

c.Autograde.autograde_preprocessors = [
    "grading.preprocessors.SandboxedExecute" if p.__name__ == "Execute" else p
    for p in Autograde.class_traits()["autograde_preprocessors"].default()
]

# A student who deleted a graded cell gets it back (and graded) instead of a silent 0.
c.OverwriteCells.add_missing_cells = True

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Feedback must not show hidden tests: remove them from the cells (nbgrader leaves them in
# by default) and cut tracebacks of graded cells down to their last line, which would
# otherwise quote the hidden line that failed.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
    "grading.preprocessors.StripGradeCellTracebacks",
    "grading.preprocessors.FeedbackSummary",  # a table of exercises, points and one-line diagnoses on top
    "grading.preprocessors.EmbedFigures",  # the course's figures inside the page, not links to assets/
    # last: no output of the graded run on the page (student code could print the hidden tests
    # encoded), only each graded cell's verdict and one-line diagnosis; `python -m grading
    # feedback` puts it last too, this is for nbgrader's own command and the formgrader
    "grading.verdicts.VerdictsOnly",
]

# After the last cell nothing more is asked of a kernel: stop it at once instead of waiting
# for it to shut down (about 0.2 s of the 3 s it takes to grade one ps1 submission).
c.Execute.shutdown_kernel = "immediate"
