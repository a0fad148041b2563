"""Variants of a ``fastmlp train`` recipe: test accuracy and training time per seed.

    python benchmarks/recipe_sweep.py --variants "" "--dropout 0" "--epochs 10"

Each variant is the flags added to ``fastmlp train --dataset fashion-mnist --recipe fast``
(an empty one is the recipe itself), run in this process for each seed, one after the other;
the figures are the command's own ``test accuracy`` and ``train time`` lines. How the fast
recipe was chosen (``fastmlp/cli/_recipes.py``). Run it under the team's benchmark lock.
"""

import argparse
import shlex
import statistics

from fastmlp.bench.time_to_accuracy import train_cli


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--recipe", default="fast", choices=["fast", "default"])
    parser.add_argument("--variants", nargs="+", default=[""],
                        help="flags per variant, each one quoted (default: the recipe alone)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args(argv)
    print(f"# fastmlp train --dataset {args.dataset} --recipe {args.recipe} + the variant's "
          f"flags; seeds {', '.join(map(str, args.seeds))}; test accuracy, train time (s)")
    for variant in args.variants:
        runs = [train_cli(args.dataset, args.recipe, seed, shlex.split(variant))
                for seed in args.seeds]
        accuracies = " ".join(f"{accuracy:.4f}" for _, accuracy in runs)
        seconds = " ".join(f"{seconds:.1f}" for seconds, _ in runs)
        median = statistics.median(accuracy for _, accuracy in runs)
        print(f"{variant or '(the recipe)':42s} accuracy {accuracies}  median {median:.4f}  "
              f"time {seconds}", flush=True)


if __name__ == "__main__":
    main()
