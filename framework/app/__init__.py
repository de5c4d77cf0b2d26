"""The command-line application, ``python -m framework``, built on the library.

    cli.py         the argument parser and one function per command (train, demo)
    experiment.py  the main job, ``python -m framework train``: train on a data set, write the
                   model, metrics.json and the figures
    models.py      the networks it trains: an MLP, or a small CNN (conv-ReLU-maxpool blocks, then Linear)
    demo.py        ``python -m framework demo``: an MLP gradient-checked and trained on a spiral

The library (``framework.*``) never imports this package; it imports the library.
"""
