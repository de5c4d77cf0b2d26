"""The course's grading side: nbgrader settings, instructor masters, and ``python -m grading``.

    python -m grading masters         # masters/*.py (what instructors edit) -> source/<ps>/*.ipynb
    python -m grading release ps1     # source/ps1/ -> the student notebooks in notebooks/

One module per step (ingest, autograde, report, feedback, publish, ...): see ARCHITECTURE.md.
"""
