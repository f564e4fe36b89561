"""French stand-ins for distress: fear-or-sadness vs the rest, 5-fold AUC.

Neither set is about distress or rights (no public labelled French set is:
see ../shared/data/SOURCES.md); they measure how well the default embedder and
our features rank negative emotion in French written by others:

* emodift-fr: tweets about the Lubrizol fire (positive: fear or sadness > 0);
* xed-fr: film subtitles, labels projected from English (positive: 4 or 6).

For each: logistic regression (class-balanced) on (a) the USE-multilingual
embedding alone and (b) the embedding joined with char 2–5 TF-IDF, as Maraude's
model does; stratified 5-fold cross-validation, ROC AUC.

    python -m benchmarks.french
"""

from __future__ import annotations

import csv
import json

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from maraude.config import PROJECT_ROOT

DATA = PROJECT_ROOT.parent / "shared" / "data"


def emodift() -> tuple[list[str], np.ndarray]:
    path = DATA / "emodift-fr" / "emodift_manual_annot_2215.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    texts = [r["tweet"] for r in rows]
    y = np.array([float(r["Peur"]) > 0 or float(r["Tristesse"]) > 0 for r in rows])
    return texts, y


def xed() -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    path = DATA / "xed-fr" / "fr-projections.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        if "\t" not in line:
            continue
        text, _, tags = line.rpartition("\t")  # quotes are not escaped: last tab
        codes = {t.strip() for t in tags.split(",")}
        texts.append(text)
        labels.append(bool(codes & {"4", "6"}))
    return texts, np.array(labels)


def cv_auc(texts: list[str], y: np.ndarray, emb: np.ndarray, tfidf: bool) -> float:
    scores = np.zeros(len(y))
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    for train, test in folds.split(emb, y):
        x_train, x_test = sp.csr_matrix(emb[train]), sp.csr_matrix(emb[test])
        if tfidf:
            vec = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(2, 5),
                sublinear_tf=True,
                min_df=2,
                max_features=50000,
            )
            x_train = sp.hstack([x_train, vec.fit_transform([texts[i] for i in train])])
            x_test = sp.hstack([x_test, vec.transform([texts[i] for i in test])])
        head = LogisticRegression(C=4, class_weight="balanced", max_iter=3000)
        scores[test] = head.fit(x_train, y[train]).predict_proba(x_test)[:, 1]
    return float(roc_auc_score(y, scores))


def run() -> dict[str, float]:
    from classifier.embed import load_embedder

    if not DATA.is_dir():
        raise SystemExit(f"{DATA} is absent: clone the project next to shared/")
    embedder = load_embedder()
    figures = {}
    for name, loader in (("emodift-fr", emodift), ("xed-fr", xed)):
        texts, y = loader()
        emb = embedder.encode(texts)
        for label, tfidf in (("embedding", False), ("embedding + char TF-IDF", True)):
            auc = cv_auc(texts, y, emb, tfidf)
            figures[f"{name} {label}"] = auc
            print(
                f"{name:10} {label:26} AUC {auc:.3f}  (n={len(y)}, "
                f"positives {y.mean():.0%})"
            )
    return figures


def main() -> None:
    print(json.dumps(run()))


if __name__ == "__main__":
    main()
