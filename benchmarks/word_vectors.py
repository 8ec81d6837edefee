"""How long word vectors take to load: a GloVe text file parsed vs read from the cache,
and the packaged GloVe 6B 50d.

    python benchmarks/word_vectors.py [--words 100000] [--repeats 3]

Writes a GloVe text file of the first ``--words`` packaged vectors into a temporary
folder, then times ``load_word_vectors`` on it with an empty cache (a parse) and with a
filled one, and prints the medians and their ratio.
"""
from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from labkit.embeddings import load_word_vectors


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def write_glove_text(path: Path, n_words: int) -> None:
    glove = load_word_vectors("glove-6b-50d")
    frame = pd.DataFrame(glove.vectors[:n_words])
    frame.insert(0, "word", glove.words[:n_words])
    # GloVe files have no quoting: a quote character that never occurs keeps '"' as is
    frame.to_csv(path, sep=" ", header=False, index=False, float_format="%.5f",
                 quoting=csv.QUOTE_NONE, quotechar="\x1f")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    packaged = [seconds(lambda: load_word_vectors("glove-6b-50d")) for _ in range(args.repeats)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "glove.txt"
        write_glove_text(path, args.words)
        uncached, cached = [], []
        for i in range(args.repeats):
            cache_dir = Path(tmp) / f"cache{i}"
            uncached.append(seconds(lambda: load_word_vectors(path, cache_dir=cache_dir)))
            cached.append(seconds(lambda: load_word_vectors(path, cache_dir=cache_dir)))
        size_mb = path.stat().st_size / 1e6

    parse, hit = statistics.median(uncached), statistics.median(cached)
    print(f"GloVe text file: {args.words:,} words x 50d, {size_mb:.1f} MB; "
          f"median of {args.repeats} runs")
    print(f"  uncached (parse + write cache): {parse:.3f} s")
    print(f"  cached:                         {hit:.3f} s")
    print(f"  ratio:                          {parse / hit:.1f}x")
    print(f"packaged glove-6b-50d (400,000 x 50): {statistics.median(packaged):.3f} s")


if __name__ == "__main__":
    main()
