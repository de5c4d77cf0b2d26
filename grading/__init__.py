"""The course's grading side: nbgrader settings, instructor masters, and ``python -m grading``.

    python -m grading release ps1     # masters in source/ps1/ -> student notebooks in notebooks/
"""
