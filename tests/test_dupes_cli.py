"""``check-duplicates``, ``cache`` and ``upload``'s duplicate decisions through `main()`."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from hma_gui.cli.main import main
from hma_gui.core import app_dirs
from hma_gui.core.jobs.store import Decision, JobState, JobStore
from tests.conftest import S3Env
from tests.dupes_trees import build_tricky_tree, write
from tests.early import Results, cli_probe, outputs, python, starts_early
from tests.file_clock import settle


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, dict[str, list[Path]]]:
    root = tmp_path / "data"
    return root, build_tricky_tree(root / "mba" / "csv")


def test_table_json_and_csv_agree(tree: tuple[Path, dict[str, list[Path]]], tmp_path: Path) -> None:
    root, cases = tree
    code, table, _ = run("check-duplicates", str(root))
    assert code == 0
    assert "4 duplicate groups" in table and str(cases["big_dupes"][1]) in table
    assert "same file under several names" in table

    code, text, _ = run("check-duplicates", str(root), "--format", "json")
    assert code == 0
    report = json.loads(text)
    groups = [{f["path"] for f in g["files"]} for g in report["local"]["groups"]]
    assert {str(p) for p in cases["small_dupes"]} in groups
    assert report["local"]["summary"]["empty_files"] == 3
    assert report["local"]["same_file"][0]["paths"] == sorted(
        str(p) for p in cases["hardlink_only"]
    )
    assert "s3" not in report

    code, text, _ = run("check-duplicates", str(root), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    duplicate_rows = [r for r in rows if r["section"] == "duplicate"]
    assert len(duplicate_rows) == sum(len(g) for g in groups)
    link = next(r for r in duplicate_rows if r["link_of"])
    assert link["path"] == str(cases["hardlink_with_copy"][1])
    assert {r["wasted_bytes"] for r in duplicate_rows if r["path"] == link["path"]} == {"5000"}

    for name, fmt in (("r.json", None), ("r.csv", None), ("r.txt", "csv")):
        extra = ["--format", fmt] if fmt else []
        code, _, err = run("check-duplicates", str(root), "--report", str(tmp_path / name), *extra)
        assert code == 0 and "report written" in err
        written = (tmp_path / name).read_text()
        if name == "r.json":
            assert json.loads(written)["local"]["groups"] == report["local"]["groups"]
        else:
            assert written.startswith("section,group,md5,size,wasted_bytes,path")


def test_usage_errors_and_exit_codes(tree: tuple[Path, dict[str, list[Path]]]) -> None:
    root, _ = tree
    code, _, err = run("check-duplicates", str(root), "--scope", "nope")
    assert code == 2 and "unknown scope 'nope'" in err
    code, _, err = run("check-duplicates", str(root), "--workers", "0")
    assert code == 2
    code, _, err = run("check-duplicates", str(root), "--format", "xml")
    assert code == 2
    (root / "mba" / "csv" / "dangling.csv").symlink_to(root / "gone.csv")
    code, out, _ = run("check-duplicates", str(root))
    assert code == 1 and "not compared: 1" in out and "broken symbolic link" in out


def test_the_cache_is_used_cleared_and_reported(tree: tuple[Path, dict[str, list[Path]]]) -> None:
    root, _ = tree
    settle()  # hashes of files changed just now are not written (`change_clock`)
    run("check-duplicates", str(root))
    code, out, _ = run("cache", "info")
    assert code == 0 and "hash-cache.db" in out and "0 files" not in out
    code, text, _ = run("check-duplicates", str(root), "--format", "json")
    summary = json.loads(text)["local"]["summary"]
    assert summary["head_reads"] == summary["full_reads"] == 0 and summary["cache_hits"] > 0
    code, out, _ = run("cache", "clear")
    assert code == 0 and "forgotten" in out
    code, text, err = run("check-duplicates", str(root), "--format", "json")
    assert json.loads(text)["local"]["summary"]["cache_hits"] == 0
    code, text, err = run("check-duplicates", str(root), "--clear-cache", "--format", "json")
    assert "hash cache cleared" in err and json.loads(text)["local"]["summary"]["cache_hits"] == 0
    code, text, _ = run("check-duplicates", str(root), "--no-cache", "--format", "json")
    assert json.loads(text)["local"]["summary"]["cache_hits"] == 0


def check_tricky_tree(folder: Path) -> list[list[str]]:
    root = folder / "data"
    build_tricky_tree(root / "mba" / "csv")
    loaded = "'boto3' in sys.modules, 'botocore.config' in sys.modules"
    return python(cli_probe(["check-duplicates", str(root)], loaded))


@starts_early(check_tricky_tree)
def test_check_duplicates_without_s3_does_not_import_boto3(early: Results) -> None:
    [out] = outputs(early)
    assert out.split() == ["0", "False", "False"]


# --------------------------------------------------------------------- with S3


def seed(s3_env: S3Env, tmp_path: Path) -> Path:
    """Local: same.csv (in S3), conflict.csv (other bytes in S3), new.csv, copy.csv (= new)."""
    s3: Any = s3_env.client
    csv_dir = tmp_path / "data" / "mba" / "csv"
    same = write(csv_dir / "same.csv", b"id,plan\n1,A\n")
    write(csv_dir / "conflict.csv", b"id,plan\n2,B\n")
    write(csv_dir / "new.csv", b"id,plan\n3,CC\n")
    write(csv_dir / "sub" / "copy.csv", b"id,plan\n3,CC\n")
    s3.put_object(Bucket=s3_env.mba_bucket, Key="mba/csv/same.csv", Body=same.read_bytes())
    s3.put_object(Bucket=s3_env.mba_bucket, Key="mba/csv/conflict.csv", Body=b"id,plan\n9,Z\n")
    return tmp_path / "data"


@pytest.mark.integration
def test_check_s3_reports_classes_and_exits_1_on_conflict(s3_env: S3Env, tmp_path: Path) -> None:
    data = seed(s3_env, tmp_path)
    code, text, _ = run("check-duplicates", str(data), "--check-s3", "--format", "json")
    assert code == 1
    s3 = json.loads(text)["s3"]
    classes = {Path(f["path"]).name: (f["class"], f["how"]) for f in s3["findings"]}
    assert classes == {
        "same.csv": ("already-uploaded", "etag-md5"),
        "conflict.csv": ("conflict", "etag-md5"),
        "new.csv": ("new", "nothing-to-compare"),
        "copy.csv": ("new", "nothing-to-compare"),
    }
    same = next(f for f in s3["findings"] if f["path"].endswith("same.csv"))
    assert same["bucket"] == s3_env.mba_bucket and same["key"] == "mba/csv/same.csv"
    assert same["s3_etag"] and same["s3_last_modified"]
    assert s3["requests"] == {"list": 1, "head": 1}

    # the seed's spelling, and CSV with the S3 columns
    code, text, _ = run(
        "--mode", "check-duplicates", "--input", str(data), "--check-s3", "--scope", "mba",
        "--format", "csv",
    )  # fmt: skip
    assert code == 1
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["section"] == "s3"]
    assert {r["class"] for r in rows} == {"already-uploaded", "conflict", "new"}
    assert all(r["bucket"] == s3_env.mba_bucket for r in rows)

    (data / "mba" / "csv" / "conflict.csv").unlink()
    code, table, _ = run("check-duplicates", str(data), "--check-s3")
    assert code == 0 and "1 already uploaded" in table


@pytest.mark.integration
def test_check_s3_reads_the_tree_once(
    s3_env: S3Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One walk feeds the local groups, the plan and the S3 check: every folder listed once,
    no file stat-ed again by path (without the hash cache, whose lookups check ctimes)."""
    data = seed(s3_env, tmp_path)
    for number in range(4):
        write(data / "mba" / "pdf" / f"y{number}" / f"r{number}.pdf", b"%PDF" * (number + 1))
    folders = {str(data), *(str(p) for p in data.rglob("*") if p.is_dir())}
    listed: Counter[str] = Counter()
    stated: Counter[str] = Counter()
    real_scandir, real_stat = os.scandir, os.stat

    def scandir(path: Any = ".") -> Any:
        folder = os.readlink(f"/proc/self/fd/{path}") if isinstance(path, int) else path
        listed[os.path.abspath(os.fspath(folder))] += 1
        return real_scandir(path)

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if isinstance(path, (str, os.PathLike)) and os.fspath(path).startswith(str(data) + "/"):
            stated[os.fspath(path)] += 1
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "stat", stat)
    code, text, err = run(
        "check-duplicates", str(data), "--check-s3", "--no-cache", "--format", "json"
    )
    assert code == 1, err  # conflict.csv
    assert len(json.loads(text)["s3"]["findings"]) == 8
    assert {folder: listed[folder] for folder in folders} == dict.fromkeys(folders, 1)
    assert set(listed) == folders
    assert stated == Counter()


def uploaded(s3_env: S3Env) -> dict[str, bytes]:
    return {k: s3_env.read(s3_env.mba_bucket, k) for k in s3_env.keys(s3_env.mba_bucket)}


def store_jobs() -> dict[str, Any]:
    with JobStore(app_dirs.data_dir() / "jobs.db") as store:
        return {Path(j.source).name: j for j in store.jobs()}


@pytest.mark.integration
def test_upload_default_skips_identical_and_leaves_conflicts(s3_env: S3Env, tmp_path: Path) -> None:
    data = seed(s3_env, tmp_path)
    code, _, err = run("upload", str(data))
    assert code == 1
    assert "conflict: " in err and "not uploaded" in err
    assert uploaded(s3_env) == {
        "mba/csv/same.csv": b"id,plan\n1,A\n",
        "mba/csv/conflict.csv": b"id,plan\n9,Z\n",  # untouched
        "mba/csv/new.csv": b"id,plan\n3,CC\n",  # sub/copy.csv, the same bytes, is skipped
    }
    jobs = store_jobs()
    assert jobs["same.csv"].state is JobState.SKIPPED and jobs["same.csv"].decision is Decision.SKIP
    assert jobs["same.csv"].error.startswith("already in S3")
    assert jobs["conflict.csv"].state is JobState.SKIPPED
    assert "choose overwrite or keep both" in jobs["conflict.csv"].error
    assert jobs["copy.csv"].state is JobState.SKIPPED and "new.csv" in jobs["copy.csv"].error
    assert jobs["new.csv"].state is JobState.DONE


@pytest.mark.integration
def test_upload_overwrite(s3_env: S3Env, tmp_path: Path) -> None:
    data = seed(s3_env, tmp_path)
    code, _, err = run("upload", str(data), "--on-duplicate", "overwrite")
    assert code == 0, err
    assert uploaded(s3_env) == {
        "mba/csv/same.csv": b"id,plan\n1,A\n",
        "mba/csv/conflict.csv": b"id,plan\n2,B\n",  # replaced by the local file
        "mba/csv/new.csv": b"id,plan\n3,CC\n",
        "mba/csv/sub/copy.csv": b"id,plan\n3,CC\n",
    }
    head = s3_env.head(s3_env.mba_bucket, "mba/csv/same.csv")
    assert head["Metadata"].get("md5")  # uploaded again, by us this time
    assert store_jobs()["conflict.csv"].decision is Decision.OVERWRITE


@pytest.mark.integration
def test_upload_keep_both(s3_env: S3Env, tmp_path: Path) -> None:
    data = seed(s3_env, tmp_path)
    code, _, err = run("upload", str(data), "--on-duplicate", "keep-both")
    assert code == 0, err
    assert uploaded(s3_env) == {
        "mba/csv/same.csv": b"id,plan\n1,A\n",
        "mba/csv/conflict.csv": b"id,plan\n9,Z\n",
        "mba/csv/conflict__2.csv": b"id,plan\n2,B\n",
        "mba/csv/new.csv": b"id,plan\n3,CC\n",
        "mba/csv/sub/copy.csv": b"id,plan\n3,CC\n",
    }
    same = s3_env.head(s3_env.mba_bucket, "mba/csv/same.csv")
    assert not same.get("Metadata")  # identical: not uploaded again (ours would carry md5)
    job = store_jobs()["conflict.csv"]
    assert (job.key, job.decision, job.state) == (
        "mba/csv/conflict__2.csv",
        "keep-both",
        JobState.DONE,
    )


@pytest.mark.integration
def test_upload_no_check_s3_uploads_everything(s3_env: S3Env, tmp_path: Path) -> None:
    data = seed(s3_env, tmp_path)
    code, _, err = run("upload", str(data), "--no-check-s3")
    assert code == 0 and "duplicate check" not in err
    assert uploaded(s3_env)["mba/csv/conflict.csv"] == b"id,plan\n2,B\n"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.integration
def test_upload_ask_on_a_terminal_and_without_one(
    s3_env: S3Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = seed(s3_env, tmp_path)
    code, _, err = run("upload", str(data), "--on-duplicate", "ask")  # stdin is no terminal
    assert code == 2 and "needs a terminal" in err
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/conflict.csv", "mba/csv/same.csv"]

    monkeypatch.setattr(sys, "stdin", Terminal("k\n"))
    err_tty = Terminal()
    code = main(["upload", str(data), "--on-duplicate", "ask"], io.StringIO(), err_tty)
    assert code == 0, err_tty.getvalue()
    assert "[s]kip, [o]verwrite, [k]eep both (upload as conflict__2.csv)" in err_tty.getvalue()
    assert uploaded(s3_env)["mba/csv/conflict__2.csv"] == b"id,plan\n2,B\n"


@pytest.mark.integration
def test_ask_from_the_settings_falls_back_to_skip_without_a_terminal(
    s3_env: S3Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = seed(s3_env, tmp_path)
    monkeypatch.setenv("HMA_ON_DUPLICATE", "ask")
    code, _, err = run("upload", str(data))
    assert code == 1 and "on_duplicate = ask needs a terminal; using skip" in err
    assert uploaded(s3_env)["mba/csv/conflict.csv"] == b"id,plan\n9,Z\n"


@pytest.mark.integration
def test_upload_when_the_check_cannot_list_uploads_nothing_and_says_why(
    s3_env: S3Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fault_proxy import FaultProxy

    data = seed(s3_env, tmp_path)
    proxy = FaultProxy(s3_env.endpoint)
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", proxy.endpoint)
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("HMA_CONNECT_TIMEOUT", "2")
    try:
        proxy.fail_next(1, 403)  # a write-only role: no s3:ListBucket
        code, _, err = run("upload", str(data))
        assert code == 1
        assert "the duplicate check may not list" in err and "s3:ListBucket" in err
        assert "--no-check-s3" in err
        proxy.down()
        code, _, err = run("upload", str(data))
        assert code == 1 and f"cannot reach {proxy.endpoint}" in err
    finally:
        proxy.close()
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/conflict.csv", "mba/csv/same.csv"]
    assert store_jobs() == {}  # nothing queued: a later upload checks again
