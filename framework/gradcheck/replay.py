"""Random numbers that repeat: every forward of the checked object draws the same ones.

A layer like Dropout draws a fresh mask on each forward; compared with central
differences, two forwards must see the same mask, or f is not a function of x.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .discovery import walk


class RandomReplay:
    """Makes every forward draw the same random numbers (e.g. Dropout's mask).

    Calling it (before each forward) restores every ``Generator`` / ``RandomState`` found
    inside the object, and NumPy's global generator once ``watch_global()`` has seen forward
    use it (restoring that one is slow, so it is done only when needed). ``close()`` leaves
    the global generator as it was found.
    """

    def __init__(self, obj: Any, replay_global: bool = False) -> None:
        self.rngs = [r for r in walk(obj) if isinstance(r, (np.random.Generator, np.random.RandomState))]
        self.states = [r.bit_generator.state if isinstance(r, np.random.Generator) else r.get_state() for r in self.rngs]
        self.global_state = np.random.get_state()
        self.replay_global = replay_global

    def watch_global(self) -> None:
        """After a first forward: replay the global generator from now on if it was used."""
        now = np.random.get_state()
        if now[2] != self.global_state[2] or not np.array_equal(now[1], self.global_state[1]):
            self.replay_global = True

    def __call__(self) -> None:
        for r, s in zip(self.rngs, self.states):
            if isinstance(r, np.random.Generator):
                r.bit_generator.state = s
            else:
                r.set_state(s)
        if self.replay_global:
            np.random.set_state(self.global_state)

    def close(self) -> None:
        np.random.set_state(self.global_state)
