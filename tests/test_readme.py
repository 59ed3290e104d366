"""The README's demo sample is the output of a real run (`tools/readme_demo.py` writes it).

Training the demo takes minutes, so this checks the part that costs a second: the data
lines of the sample against the generator's data, its click rates with numpy and its
Bayes-optimal AUCs with scikit-learn; and that the sample is one unedited block whose
statements agree with each other. `python tools/readme_demo.py --check` compares the rest.
"""
import os
import re

import numpy as np
from sklearn.metrics import roc_auc_score

from conftest import REPO
from tf1_recsys.data import generate

SAMPLE = re.compile(r"What a run of `tf1-recsys demo --out demo_out` printed \([^\n]*\):\n\n```\n(.*?)\n```", re.S)


def _sample():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        found = SAMPLE.search(f.read())
    assert found, "README.md has no demo sample block (tools/readme_demo.py writes it)"
    return found.group(1)


def test_readme_demo_sample_data_lines_match_the_generator():
    sample = _sample()
    data = generate(seed=0)
    users, items, cats, train, test, click, like = map(float, re.search(
        r"synthetic CTR data \(seed 0\): (\d+) users, (\d+) items, (\d+) categories, (\d+) train / (\d+) test rows, "
        r"click rate (\d\.\d+), like rate (\d\.\d+)", sample).groups())
    assert (users, items, cats) == (500, 300, 20)
    assert (train, test) == (len(data.train["click"]), len(data.test["click"]))
    assert (click, like) == (round(float(np.mean(data.train["click"])), 3), round(float(np.mean(data.train["like"])), 3))
    bayes = dict(re.findall(r"(click|like) (\d\.\d{4})", re.search(
        r"Bayes-optimal test AUC \(the true click probabilities\): ([^\n]*)", sample).group(1)))
    for task in ("click", "like"):
        reference = roc_auc_score(data.test[task], data.probabilities["test"][task])
        assert float(bayes[task]) == round(reference, 4), task


def test_readme_demo_sample_is_consistent_and_unabridged():
    sample = _sample()
    assert "..." not in sample  # the whole output, not an abridged copy
    auc = float(re.search(r"din/click +test AUC (\d\.\d{4})", sample).group(1))
    bayes = float(re.search(r"Bayes-optimal test AUC \(the true click probabilities\): click (\d\.\d{4})",
                            sample).group(1))
    gap = float(re.search(r"gap (\d\.\d{4}) -> within", sample).group(1))
    final = re.search(r"din's test AUC is (\d\.\d{4}) below the Bayes-optimal (\d\.\d{4})", sample).groups()
    assert gap == float(final[0]) and float(final[1]) == bayes
    assert abs((bayes - auc) - gap) <= 1.01e-4  # the gap is of the unrounded AUCs
