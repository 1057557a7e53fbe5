"""Trees of files for the duplicate tests, and jdupes' view of them."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
from pathlib import Path

KiB = 1024
MiB = 1024 * KiB


def md5hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def build_tricky_tree(root: Path, seed: int = 3) -> dict[str, list[Path]]:
    """Every case the finder must get right, named by what it is.

    Exact duplicates (small, 4 KiB-sized, multi-chunk), same size with other
    content, equal first 4 KiB only, zero-byte files, hard links to a file that
    has a copy, and hard links to a file that has none.
    """
    rng = random.Random(seed)
    cases: dict[str, list[Path]] = {}

    small = rng.randbytes(700)
    cases["small_dupes"] = [
        write(root / "a" / "small.csv", small),
        write(root / "b" / "small copy.csv", small),
        write(root / "c" / "deep" / "small.csv", small),
    ]
    exact_head = rng.randbytes(4 * KiB)  # exactly one head: head hash is the whole MD5
    cases["head_sized_dupes"] = [
        write(root / "a" / "four.bin", exact_head),
        write(root / "b" / "four.bin", exact_head),
    ]
    big = rng.randbytes(2 * MiB + 123)  # several read chunks
    cases["big_dupes"] = [
        write(root / "a" / "big.pdf", big),
        write(root / "c" / "big-again.pdf", big),
    ]
    cases["big_differs_at_end"] = [
        write(root / "b" / "big-other.pdf", big[:-1] + bytes([big[-1] ^ 0xFF])),
    ]
    cases["same_size_other_content"] = [
        write(root / "a" / "same-size-1.txt", rng.randbytes(700)),
        write(root / "b" / "same-size-2.txt", rng.randbytes(700)),
    ]
    head = rng.randbytes(4 * KiB)
    cases["equal_head_only"] = [
        write(root / "a" / "header-1.csv", head + rng.randbytes(6 * KiB)),
        write(root / "b" / "header-2.csv", head + rng.randbytes(6 * KiB)),
    ]
    cases["empty"] = [
        write(root / "a" / "empty-1.txt", b""),
        write(root / "b" / "empty-2.txt", b""),
        write(root / "c" / "empty-3.txt", b""),
    ]
    linked = rng.randbytes(5000)
    original = write(root / "a" / "linked.xlsx", linked)
    link = root / "b" / "hardlink-of-linked.xlsx"
    os.link(original, link)
    cases["hardlink_with_copy"] = [original, link, write(root / "c" / "linked copy.xlsx", linked)]
    alone = write(root / "a" / "alone.json", rng.randbytes(3000))
    alone_link = root / "c" / "alone-link.json"
    os.link(alone, alone_link)
    cases["hardlink_only"] = [alone, alone_link]
    cases["unique"] = [
        write(root / "c" / f"unique-{n}.txt", rng.randbytes(100 + n)) for n in range(5)
    ]
    return cases


def jdupes_groups(jdupes: str, root: Path, *options: str) -> set[frozenset[str]]:
    """jdupes' duplicate groups below `root` as sets of paths."""
    out = subprocess.run(
        [jdupes, "-r", "-q", *options, str(root)], capture_output=True, text=True, check=True
    ).stdout
    groups: set[frozenset[str]] = set()
    for block in out.strip().split("\n\n"):
        paths = [line for line in block.splitlines() if line.strip()]
        if paths:
            groups.add(frozenset(os.path.abspath(p) for p in paths))
    return groups


def inode_sets(groups: set[frozenset[str]]) -> set[frozenset[tuple[int, int]]]:
    """Groups as sets of (device, inode): what jdupes without -H and we agree on."""
    result = set()
    for group in groups:
        infos = [os.stat(p) for p in group]
        result.add(frozenset((i.st_dev, i.st_ino) for i in infos))
    return result
