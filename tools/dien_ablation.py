#!/usr/bin/env python
"""Validation-only ablations of ``dien`` on MovieLens: what its parts are worth, without reading test.

Each variant is ``dien`` (or any model of ``bench_movielens.OURS``) with hyper-parameters
over its MovieLens preset, trained exactly as ``bench_movielens.py`` trains it (same
rows, batch, optimizer, early stopping on validation) at one learning rate and L2, per
seed. The test split is replaced by the validation split before training, so that no
number here comes from test: this is for diagnosis and choosing, the benchmark reports
test.

    python tools/dien_ablation.py --protocol next --lr 0.003 --l2 0.01 --seeds 0 1 2 \\
        --variant "dien alpha=1" dien '{}' --variant "dien alpha=0" dien '{"alpha": 0.0}'
    python tools/dien_ablation.py --protocol next --lr 0.003 --l2 0.05 --seeds 0 1 2 \\
        --variant "dien, the paper's MLP input" dien '{"history_sum": false}'
"""
import argparse
import dataclasses
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_movielens as bench  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--path", default=bench.DEFAULT_PATH)
    parser.add_argument("--protocol", choices=["rating", "next"], default="next")
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--l2", type=float, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--max-epochs", type=int)
    parser.add_argument("--max-users", type=int)
    parser.add_argument("--variant", nargs=3, action="append", required=True, metavar=("LABEL", "MODEL", "HPARAMS"),
                        help="a label, a bench_movielens model name and a JSON object of hyper-parameters")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tf1_recsys.data import load_movielens

    data = load_movielens(args.path, protocol=args.protocol, valid_fraction=0.2, max_users=args.max_users)
    data = dataclasses.replace(data, test=data.valid)  # nothing below can see the test split
    epochs = args.max_epochs or bench.MAX_EPOCHS[args.protocol]
    print(data.describe().replace("/ %d test" % len(data.valid["user"]), "(test not loaded)"), flush=True)
    lines = ["| variant | validation AUC per seed (best epoch) | mean ± std | CPU s |", "|---|---|---|---|"]
    for label, model, hparams in args.variant:
        setting = {"learning_rate": args.lr, "l2": args.l2, "hparams": json.loads(hparams)}
        c0 = bench._cpu_seconds()
        best = []
        for seed in args.seeds:
            history = bench.train_ours(model, data, setting, seed, epochs)
            e = int(np.argmax([v for v, _ in history]))
            best.append((history[e][0], e + 1))
            print("  %s seed %d: validation AUC %s" % (label, seed, " ".join("%.4f" % v for v, _ in history)),
                  flush=True)
        values = [v for v, _ in best]
        lines.append("| %s | %s | %.4f ± %.4f | %.0f |" % (
            label, " ".join("%.4f (%d)" % b for b in best), np.mean(values), np.std(values),
            bench._cpu_seconds() - c0))
    print("\n".join(lines))
    print("\ncommand: python tools/dien_ablation.py %s" % " ".join(argv if argv is not None else sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
