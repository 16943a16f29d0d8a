"""User-file tasks the recipes were never tuned on, and their classical baselines.

Writes four tasks as a user would bring them (a training file and a test
file each, seeded, from `../shared/data`), and measures a ten-line
classical baseline on the same split:

| task | kind, tokens | made from | baseline |
|---|---|---|---|
| `typos` | classification, char | English side of fra-eng: half the sentences get two adjacent letters of one word swapped | naive Bayes on character 1-5-grams |
| `word_order` | classification, word | English side of fra-eng (5+ words): half of the sentences with their words shuffled | naive Bayes on word 1-2-grams |
| `french` | language model, char | French side of fra-eng, one sentence a line, shuffled | `xz -9` given the training text, bits per character |
| `dates` | seq2seq, char | dates written four ways, to ISO 8601 | copy the source; the target of the nearest training source (shared character 3-grams) |

The baselines train on the whole training file (rnnzoo keeps 5 % of it
for validation), so they see slightly more data than rnnzoo does.

    python benchmarks/user_tasks.py --out runs/data/user_tasks
    rnnzoo train imdb_sentiment --data runs/data/user_tasks/typos.tsv \
        --eval-data runs/data/user_tasks/typos_test.tsv --tokens char

Writes the files to `--out` and the baselines to
`benchmarks/results/user_files/baselines.json`.
"""

import argparse
import collections
import datetime
import json
import lzma
import math
import pathlib
import random

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULT = ROOT / "benchmarks" / "results" / "user_files" / "baselines.json"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def split(items, test_size, rng):
    items = list(items)
    rng.shuffle(items)
    return items[test_size:], items[:test_size]


def typos(rng, size=14000, test_size=2000):
    """English sentences, half with two adjacent letters swapped in one word."""
    english = sorted({line.split("\t")[0] for line in read_lines("fra-eng.tsv")})
    english = [s for s in english if any(len(w) >= 4 for w in s.split())]
    rows = []
    for sentence in rng.sample(english, size):
        if rng.random() < 0.5:
            rows.append((sentence, "clean"))
            continue
        words = sentence.split(" ")
        index = rng.choice([i for i, w in enumerate(words) if len(w) >= 4])
        word = words[index]
        places = [i for i in range(len(word) - 1)
                  if word[i].isalpha() and word[i + 1].isalpha() and word[i] != word[i + 1]]
        if not places:
            rows.append((sentence, "clean"))
            continue
        i = rng.choice(places)
        words[index] = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        rows.append((" ".join(words), "typo"))
    return split(rows, test_size, rng)


def word_order(rng, size=14000, test_size=2000):
    """English sentences of five words or more, half with their words in a
    new order."""
    english = sorted({line.split("\t")[0] for line in read_lines("fra-eng.tsv")})
    english = [s for s in english if len(s.split()) >= 5]
    rows = []
    for sentence in rng.sample(english, size):
        words = sentence.split()
        if rng.random() < 0.5:
            rows.append((sentence, "original"))
            continue
        shuffled = words[:]
        while shuffled == words:
            rng.shuffle(shuffled)
        rows.append((" ".join(shuffled), "shuffled"))
    return split(rows, test_size, rng)


def french(rng, train_chars=250_000, test_chars=25_000):
    """French sentences, one a line, shuffled: about 250k characters to train on."""
    lines = sorted({line.split("\t")[1] for line in read_lines("fra-eng.tsv")})
    rng.shuffle(lines)
    train, test, size = [], [], 0
    for line in lines:
        if size < train_chars:
            train.append(line)
        elif size < train_chars + test_chars:
            test.append(line)
        else:
            break
        size += len(line) + 1
    return "\n".join(train) + "\n", "\n".join(test) + "\n"


def dates(rng, size=12000, test_size=1000):
    """A date written one of four ways, to `YYYY-MM-DD`."""
    start = datetime.date(1900, 1, 1).toordinal()
    end = datetime.date(2099, 12, 31).toordinal()
    days = rng.sample(range(start, end + 1), size)
    rows = []
    for ordinal in days:
        day = datetime.date.fromordinal(ordinal)
        month = MONTHS[day.month - 1]
        source = rng.choice([
            f"{day.day} {month} {day.year}",
            f"{month} {day.day}, {day.year}",
            f"{day.day:02d}/{day.month:02d}/{day.year}",
            f"{month[:3].lower()} {day.day} {day.year}",
        ])
        rows.append((source, day.isoformat()))
    return split(rows, test_size, rng)


def read_lines(name, encoding="utf-8"):
    text = (SHARED / name).read_text(encoding=encoding)
    return [line.strip() for line in text.splitlines() if line.strip()]


def ngrams(text, sizes, words=False):
    units = text.split() if words else text
    for n in sizes:
        for i in range(len(units) - n + 1):
            yield tuple(units[i:i + n]) if words else units[i:i + n]


def naive_bayes_accuracy(train, test, sizes, words):
    """Multinomial naive Bayes with add-one smoothing on n-gram counts."""
    counts = collections.defaultdict(collections.Counter)
    labels = collections.Counter(label for _, label in train)
    for text, label in train:
        counts[label].update(ngrams(text, sizes, words))
    vocabulary = set().union(*counts.values())
    totals = {label: sum(c.values()) + len(vocabulary) for label, c in counts.items()}

    def score(text, label):
        c = counts[label]
        return math.log(labels[label]) + sum(
            math.log((c[g] + 1) / totals[label]) for g in ngrams(text, sizes, words))

    right = sum(max(labels, key=lambda label: score(text, label)) == gold
                for text, gold in test)
    return right / len(test)


def xz_bits_per_char(train, test):
    """What `xz -9` adds to store the test text after the training text."""
    alone = len(lzma.compress(train.encode(), preset=9))
    both = len(lzma.compress((train + test).encode(), preset=9))
    return (both - alone) * 8 / len(test)


def nearest_target(train, source):
    """The target of the training pair whose source shares the most
    character 3-grams with `source` (Jaccard)."""
    grams = set(ngrams(source, (3,)))
    return max(train, key=lambda pair: len(grams & pair[2]) / len(grams | pair[2]))[1]


def exact_match(predictions, test):
    return sum(p == t for p, (_, t) in zip(predictions, test)) / len(test)


def char_accuracy(predictions, test):
    """The share of target characters predicted at their position."""
    right = sum(sum(a == b for a, b in zip(p, t)) for p, (_, t) in zip(predictions, test))
    return right / sum(len(t) for _, t in test)


def write_tsv(path, rows):
    path.write_text("".join(f"{a}\t{b}\n" for a, b in rows), encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="runs/data/user_tasks", help="folder for the task files")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    results = {}

    train, test = typos(rng)
    write_tsv(out / "typos.tsv", train)
    write_tsv(out / "typos_test.tsv", test)
    results["typos"] = {"baseline": "naive Bayes, character 1-5-grams",
                        "accuracy": naive_bayes_accuracy(train, test, range(1, 6), False),
                        "train": len(train), "test": len(test)}

    train, test = word_order(rng)
    write_tsv(out / "word_order.tsv", train)
    write_tsv(out / "word_order_test.tsv", test)
    results["word_order"] = {"baseline": "naive Bayes, word 1-2-grams",
                             "accuracy": naive_bayes_accuracy(train, test, (1, 2), True),
                             "train": len(train), "test": len(test)}

    train, test = french(rng)
    (out / "french.txt").write_text(train, encoding="utf-8")
    (out / "french_test.txt").write_text(test, encoding="utf-8")
    results["french"] = {"baseline": "xz -9 given the training text",
                         "bits_per_char": xz_bits_per_char(train, test),
                         "train": len(train), "test": len(test)}

    train, test = dates(rng)
    write_tsv(out / "dates.tsv", train)
    write_tsv(out / "dates_test.tsv", test)
    indexed = [(a, b, set(ngrams(a, (3,)))) for a, b in train]
    copied = [s for s, _ in test]
    nearest = [nearest_target(indexed, s) for s, _ in test]
    results["dates"] = {
        "baseline": "copy the source; the target of the nearest training source",
        "exact_match_copy": exact_match(copied, test),
        "char_accuracy_copy": char_accuracy(copied, test),
        "exact_match_nearest": exact_match(nearest, test),
        "char_accuracy_nearest": char_accuracy(nearest, test),
        "train": len(train), "test": len(test)}

    RESULT.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    print(json.dumps(results, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
