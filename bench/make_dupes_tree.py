"""Build the benchmark tree for duplicate finders: N files, 10 % of them copies.

The size mix is log-normal (median ~12 KiB, a tail to tens of MiB, the shape of
exported CSVs, PDFs and spreadsheets), with a few empty files, many files that
share a size but not their content, and some that share their first 4 KiB with
a same-size file and differ only further on (the case a partial hash cannot
settle). No hard links or hidden names: every peer tool then sees the same files.

    python bench/make_dupes_tree.py DEST [--files 50000] [--seed 7]

Prints a one-line JSON summary (files, bytes, duplicate files, expected groups).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
from pathlib import Path

EXTENSIONS = ("csv", "csv", "csv", "pdf", "pdf", "xlsx", "txt", "json")
MAX_SIZE = 48 * 1024 * 1024


def sizes(rng: random.Random, count: int) -> list[int]:
    result = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.005:
            result.append(0)
        elif roll < 0.10:  # tiny files: sizes collide a lot
            result.append(rng.randint(1, 2048))
        else:
            value = int(rng.lognormvariate(math.log(12 * 1024), 1.5))
            result.append(max(1, min(value, MAX_SIZE)))
    return result


def folder_for(rng: random.Random, ext: str) -> str:
    scope = rng.choice(("mba", "mba", "policy"))
    year, month, batch = rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(0, 3)
    return f"data/{scope}/{ext}/{year}/{month:02d}/batch{batch}"


def build(dest: Path, files: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    copies = files // 10
    originals = files - copies
    plan_sizes = sizes(rng, originals)
    made: list[tuple[Path, int]] = []
    total = 0
    prefix_pairs = 0
    for index, size in enumerate(plan_sizes):
        ext = rng.choice(EXTENSIONS)
        folder = dest / folder_for(rng, ext)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"file{index:06d}.{ext}"
        if size > 8192 and made and rng.random() < 0.02:
            # same size and same first 4 KiB as an earlier file, different afterwards
            other_path, other_size = made[rng.randrange(len(made))]
            head = other_path.read_bytes()[:4096] if other_size > 8192 else rng.randbytes(4096)
            if other_size > 8192:
                size = other_size
                prefix_pairs += 1
            data = head + rng.randbytes(size - 4096)
        else:
            data = rng.randbytes(size)
        path.write_bytes(data)
        made.append((path, size))
        total += size
    dup_files = 0
    groups: set[str] = set()
    candidates = [(p, s) for p, s in made if s > 0]
    for index in range(copies):
        source, size = candidates[rng.randrange(len(candidates))]
        ext = source.suffix.lstrip(".")
        folder = dest / folder_for(rng, ext)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"copy{index:06d}_{source.stem}.{ext}"
        shutil.copyfile(source, target)
        dup_files += 1
        groups.add(str(source))
        total += size
    return {
        "files": files,
        "bytes": total,
        "copies": dup_files,
        "groups_at_least": len(groups),
        "prefix_pairs": prefix_pairs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    summary = build(args.dest, args.files, args.seed)
    os.sync()
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
