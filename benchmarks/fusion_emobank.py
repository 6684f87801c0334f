"""Late fusion (Rios et al. Table 1) on EmoBank's real V/A/D ratings: three text representations.

Modalities: VADER scores, NRC-VAD lexicon means (research licence: read from ../shared/data, never
shipped) and MiniLM sentence embeddings; every combination, models tuned by optuna on train+dev
(folds by source document), scored on the official test split. Prints Table 1 and, per dimension,
the gain of the best fused combination over the best unimodal one, and writes the tables and the
heat-map plot to --out. The defaults (2,250 sentences, 4 trials, all six models) take about 26 min
on 2 CPU cores, almost all of it tuning the models on the 384-d embeddings.

    python benchmarks/fusion_emobank.py [--data ../shared/data] [--train 1000] [--dev 250] [--test 1000] [--trials 4]
    python benchmarks/fusion_emobank.py --smoke --out DIR   # CI: 150 sentences, 1 trial, knn and svr only
"""
from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import pandas as pd

from affectflow.models.late_fusion import combinations, report, sentences, training
from affectflow.text import corpora, encoders, lexicons

KINDS = ["knn", "ff", "svr", "xgb", "lgbm", "ff_mt"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--train", type=int, default=1000)
    ap.add_argument("--dev", type=int, default=250)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--models", default=",".join(KINDS))
    ap.add_argument("--out", default="results/benchmarks/fusion_emobank")
    ap.add_argument("--smoke", action="store_true", help="a quick run of every step on a few sentences (CI)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.train, args.dev, args.test, args.trials, args.models = 80, 30, 40, 1, "knn,svr"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")  # per model and dimension: progress
    data = Path(args.data)
    if not (data / "emobank" / "emobank.csv").exists():
        raise SystemExit(f"{data / 'emobank' / 'emobank.csv'} not found: pass --data, the shared data folder")

    corpus = corpora.emobank(data)
    corpus.table = pd.concat([corpora.subsample(corpus.split("train"), args.train), corpora.subsample(corpus.split("dev"), args.dev),
                              corpora.subsample(corpus.split("test"), args.test)], ignore_index=True)
    t0 = time.perf_counter()
    table, columns = sentences.sentence_table(corpus, {
        "vader": lexicons.Vader(), "nrc": lexicons.NrcVad(str(data / "text_vad_lexicon_and_fb" / "NRC-VAD-Lexicon.txt")),
        "minilm": encoders.TransformerEmbedder("all-MiniLM-L6-v2")})
    t_features = time.perf_counter() - t0
    dims = corpus.dimensions
    scores, infos = sentences.run(table, columns, dims, args.models.split(","), training.Tuner(trials=args.trials, folds=5))
    t_models = time.perf_counter() - t0 - t_features
    combos = combinations.combinations(list(columns))
    grid = report.grid_table(scores)
    t1 = report.table1(grid, dims, combos)
    out = Path(args.out)
    caption = report.caption("population", infos[combos[0]]["split"])
    report.write_table1(t1, dims, caption, "EmoBank: late fusion of three text representations (Table 1 layout)",
                        out / "table1.md", out / "table1.csv", out / "table1.tex", "tab:emobank-fusion")
    grid.to_csv(out / "grid.csv", index=False)
    report.plot_grid(grid, dims, combos, out / "grid.png", "EmoBank late fusion")
    print((out / "table1.md").read_text())
    t = t1.set_index("modalities")
    unimodal = list(columns)
    for d in dims:
        best_uni = t.loc[unimodal, f"{d}_ccc"].max()
        best_fused = t.drop(index=unimodal)[f"{d}_ccc"].max()
        print(f"{d}: best unimodal CCC {best_uni:.3f}, best fused {best_fused:.3f} (ratio {best_fused / best_uni:.2f})")
    print(f"{len(table)} sentences: features {t_features:.0f} s, models {t_models:.0f} s; outputs in {out}")


if __name__ == "__main__":
    main()
