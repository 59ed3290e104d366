#!/usr/bin/env python
"""din against dien on synthetic data whose interests drift (``generate(interest_drift=True)``).

20000 impressions (seed 3), each model with its synthetic preset for 2 epochs, training
seeds 0, 1, 2; prints the test AUC of `click` per seed, mean and standard deviation, and
the Bayes-optimal AUC of the same rows.

    python tools/bench_dien_synthetic.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402



def main():
    from tf1_recsys.cli.report import score
    from tf1_recsys.data import generate
    from tf1_recsys.models import build_model
    from tf1_recsys.models.presets import preset
    from tf1_recsys.training import TrainConfig, Trainer

    data = generate(num_impressions=20000, seed=3, interest_drift=True)
    print("Bayes-optimal test AUC %.4f" % data.bayes_auc["test"]["click"], flush=True)
    results = {}
    for seed in (0, 1, 2):
        for name in ("din", "dien"):
            hparams, settings = preset(name, "synthetic")
            settings.update(epochs=2)
            config = TrainConfig(progress=False, seed=seed, **settings)
            with Trainer(lambda: build_model(name, data.schema, **hparams), config) as trainer:
                trainer.fit(data.train)
                _, reports = score(trainer, data.test, data.schema)
            results.setdefault(name, []).append(reports["click"]["auc"])
            print(name, seed, "%.4f" % reports["click"]["auc"], flush=True)
    for name, values in results.items():
        print("%s: mean %.4f, std %.4f over seeds (%s)" % (name, np.mean(values), np.std(values),
                                                          " ".join("%.4f" % v for v in values)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
