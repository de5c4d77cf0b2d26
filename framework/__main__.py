"""Command line: ``python -m framework demo``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m framework", description="A neural-network framework in NumPy.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="build an MLP, gradient-check it and train it on a 3-class spiral")
    demo.add_argument("--epochs", type=int, default=100, help="training epochs (default 100)")
    demo.add_argument("--lr", type=float, default=0.5, help="learning rate of the fused SGD update (default 0.5)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import main as demo_main

        demo_main(epochs=args.epochs, lr=args.lr, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
