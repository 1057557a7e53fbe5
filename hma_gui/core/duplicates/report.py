"""Duplicate reports: JSON (everything, nested), CSV (one flat table), text (for people).

The JSON report holds the local duplicate groups (paths, sizes, MD5, wasted
bytes), paths that are one file (links), files that could not be compared,
and the S3 classification of each file (bucket, key, class, how it was
decided, the object's size, ETag and last-modified time), with the decisions
when an upload made some. The CSV report has one row per path and finding,
its ``section`` column telling them apart, so a spreadsheet can filter it; a cell
a spreadsheet would run as a formula gets a leading ``'`` (`core.csv_export`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from hma_gui.core.app_dirs import private_opener
from hma_gui.core.csv_export import SafeDictWriter
from hma_gui.core.rate_meter import format_bytes

if TYPE_CHECKING:  # imported lazily: a local-only check needs none of the S3 side
    from hma_gui.core.duplicates.decisions import FileDecision
    from hma_gui.core.duplicates.local import LocalScanResult
    from hma_gui.core.duplicates.s3_check import S3CheckResult

REPORT_VERSION = 1
_JSON_PRETTY_DEPTH = 3  # report -> section -> list: each group or finding is one line
FORMATS = ("json", "csv", "table")

CSV_COLUMNS = (
    "section", "group", "md5", "size", "wasted_bytes", "path", "modified", "inode", "link_of",
    "bucket", "key", "class", "how", "detail", "s3_size", "s3_etag", "s3_last_modified",
    "other_keys", "decision", "reason",
)  # fmt: skip


@dataclass
class DuplicateReport:
    """Everything one check found, ready to be written in any format."""

    roots: Sequence[str] = ()
    local: LocalScanResult | None = None
    s3: S3CheckResult | None = None
    decisions: Sequence[FileDecision] = ()
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "report_version": REPORT_VERSION,
            "generated_at": _iso(self.generated_at),
            "roots": list(self.roots),
        }
        if self.local is not None:
            data["local"] = _local_dict(self.local)
        if self.s3 is not None:
            data["s3"] = _s3_dict(self.s3)
        if self.decisions:
            data["decisions"] = [
                {"path": d.path, "decision": d.decision.value, "bucket": d.bucket,
                 "key": d.key, "reason": d.reason}
                for d in self.decisions
            ]  # fmt: skip
        return data

    def write_json(self, stream: TextIO) -> None:
        """Indented to the level of groups and findings, each of those on one line."""
        _write_json(self.to_dict(), stream, 0)
        stream.write("\n")

    # ------------------------------------------------------------------ CSV

    def rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        if self.local is not None:
            for number, group in enumerate(self.local.groups, 1):
                for item in group.files:
                    rows.append({
                        "section": "duplicate", "group": number, "md5": group.md5,
                        "size": group.size, "wasted_bytes": group.wasted_bytes,
                        "path": item.path, "modified": _iso(item.modified),
                        "inode": item.inode, "link_of": item.link_of or "",
                    })  # fmt: skip
            for linked in self.local.linked:
                first = linked.paths[0]
                for path in linked.paths:
                    rows.append({
                        "section": "same-file", "size": linked.size, "path": path,
                        "inode": linked.inode, "link_of": first if path != first else "",
                    })  # fmt: skip
            for issue in self.local.issues:
                rows.append({"section": "not-compared", "path": issue.path, "detail": issue.reason})
        decided = {d.path: d for d in self.decisions}
        if self.s3 is not None:
            for finding in self.s3.findings:
                decision = decided.get(finding.path)
                rows.append({
                    "section": "s3", "md5": finding.md5 or "", "size": finding.size,
                    "path": finding.path, "bucket": finding.bucket, "key": finding.key,
                    "class": finding.s3_class.value, "how": finding.how.value,
                    "detail": finding.detail, "s3_size": _blank(finding.s3_size),
                    "s3_etag": finding.s3_etag or "",
                    "s3_last_modified": _iso(finding.s3_last_modified),
                    "other_keys": " ".join(finding.other_keys),
                    "decision": decision.decision.value if decision else "",
                    "reason": decision.reason if decision else "",
                })  # fmt: skip
            known = {i.path for i in self.local.issues} if self.local else set()
            for issue in self.s3.issues:
                if issue.path not in known:
                    rows.append(
                        {"section": "not-compared", "path": issue.path, "detail": issue.reason}
                    )
        return rows

    def write_csv(self, stream: TextIO) -> None:
        # paths, keys and reasons come from the user's disk and the bucket: no formulas
        writer = SafeDictWriter(stream, CSV_COLUMNS, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows())

    # ------------------------------------------------------------------ text

    def write_table(self, stream: TextIO, *, limit: int | None = None) -> None:
        """A readable summary; `limit` caps the groups and findings listed."""
        parts: list[str] = []  # one write at the end: 10,000s of lines
        if self.local is not None:
            _local_text(self.local, parts.append, limit)
        if self.s3 is not None:
            _s3_text(self.s3, parts.append, limit)
        stream.write("".join(parts))

    def write(self, stream: TextIO, fmt: str) -> None:
        if fmt == "json":
            self.write_json(stream)
        elif fmt == "csv":
            self.write_csv(stream)
        elif fmt == "table":
            self.write_table(stream)
        else:
            raise ValueError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")

    def save(self, path: Path, fmt: str) -> None:
        """Write the report to `path` (through a temporary file: no half-written reports)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        # member paths and names: readable by the user only, like the rest of our files
        with open(partial, "w", encoding="utf-8", newline="", opener=private_opener) as stream:
            self.write(stream, fmt)
        partial.replace(path)


def _write_json(value: Any, stream: TextIO, depth: int) -> None:
    """Pretty at the top, compact below `_JSON_PRETTY_DEPTH` (the C encoder: 10,000s of rows)."""
    if depth >= _JSON_PRETTY_DEPTH or not isinstance(value, dict | list) or not value:
        stream.write(json.dumps(value))
        return
    pad = "\n" + "  " * (depth + 1)
    if isinstance(value, dict):
        stream.write("{")
        for number, (key, item) in enumerate(value.items()):
            stream.write(("," if number else "") + pad + json.dumps(key) + ": ")
            _write_json(item, stream, depth + 1)
        stream.write("\n" + "  " * depth + "}")
    else:
        stream.write("[")
        for number, item in enumerate(value):
            stream.write(("," if number else "") + pad)
            _write_json(item, stream, depth + 1)
        stream.write("\n" + "  " * depth + "]")


def format_for(path: Path, requested: str | None) -> str:
    """The report format: the one asked for, else from the file name (.csv or JSON)."""
    if requested in ("json", "csv"):
        return requested
    return "csv" if path.suffix.lower() == ".csv" else "json"


def _local_dict(local: LocalScanResult) -> dict[str, Any]:
    stats = local.stats
    return {
        "summary": {
            "files": stats.files, "bytes": stats.bytes, "empty_files": stats.empty_files,
            "filtered": stats.filtered, "groups": len(local.groups),
            "duplicate_files": local.duplicate_files, "wasted_bytes": local.wasted_bytes,
            "candidates": stats.candidates, "cache_hits": stats.cache_hits,
            "head_reads": stats.head_reads, "full_reads": stats.full_reads,
            "bytes_read": stats.bytes_read, "seconds": round(stats.seconds, 3),
        },
        "groups": [
            {
                "md5": g.md5, "size": g.size, "copies": g.copies,
                "wasted_bytes": g.wasted_bytes,
                "files": [
                    {"path": f.path, "modified": _iso(f.modified), "inode": f.inode,
                     "link_of": f.link_of}
                    for f in g.files
                ],
            }
            for g in local.groups
        ],
        "same_file": [
            {"paths": list(link.paths), "size": link.size, "inode": link.inode}
            for link in local.linked
        ],
        "not_compared": [{"path": i.path, "reason": i.reason} for i in local.issues],
    }  # fmt: skip


def _s3_dict(s3: S3CheckResult) -> dict[str, Any]:
    return {
        "summary": {c.value: n for c, n in s3.counts().items()},
        "requests": {"list": s3.requests.list_calls, "head": s3.requests.head_calls},
        "listed": s3.listed,
        "findings": [
            {
                "path": f.path, "size": f.size, "md5": f.md5, "bucket": f.bucket,
                "key": f.key, "class": f.s3_class.value, "how": f.how.value,
                "detail": f.detail, "s3_size": f.s3_size, "s3_etag": f.s3_etag,
                "s3_last_modified": _iso(f.s3_last_modified) or None,
                "other_keys": list(f.other_keys),
            }
            for f in s3.findings
        ],
        "not_compared": [{"path": i.path, "reason": i.reason} for i in s3.issues],
    }  # fmt: skip


def _local_text(local: LocalScanResult, out: Any, limit: int | None) -> None:
    stats = local.stats
    out(
        f"{stats.files} files ({format_bytes(stats.bytes)}): {len(local.groups)} duplicate "
        f"groups, {local.duplicate_files} extra copies, {format_bytes(local.wasted_bytes)} "
        "wasted\n"
    )
    for number, group in enumerate(local.groups[:limit], 1):
        out(
            f"\ngroup {number}: {group.copies} copies of {format_bytes(group.size)} "
            f"(md5 {group.md5}), {format_bytes(group.wasted_bytes)} wasted\n"
        )
        for item in group.files:
            link = f"  (same file as {item.link_of})" if item.link_of else ""
            out(f"  {item.path}{link}\n")
    if limit is not None and len(local.groups) > limit:
        out(f"\n… {len(local.groups) - limit} more groups (write them with --report FILE)\n")
    if local.linked:
        out(f"\nsame file under several names (hard links, not duplicates): {len(local.linked)}\n")
        for linked in local.linked[:limit]:
            out("  " + "  =  ".join(linked.paths) + "\n")
    if local.issues:
        out(f"\nnot compared: {len(local.issues)}\n")
        for issue in local.issues[:limit]:
            out(f"  {issue.path}: {issue.reason}\n")


def _s3_text(s3: S3CheckResult, out: Any, limit: int | None) -> None:
    from hma_gui.core.duplicates.s3_check import S3Class

    labels = {c: c.value.replace("-", " ") for c in S3Class}
    counts = s3.counts()
    summary = ", ".join(f"{counts[c]} {labels[c]}" for c in S3Class if counts[c])
    out(
        f"\nS3: {summary or 'no files'} ({s3.requests.list_calls} LIST, "
        f"{s3.requests.head_calls} HEAD requests)\n"
    )
    shown = [f for f in s3.findings if f.s3_class is not S3Class.NEW]
    for finding in shown[:limit]:
        label = labels[finding.s3_class]
        out(f"  {label:<19} {finding.path} → {finding.uri}: {finding.detail} [{finding.how}]\n")
    if limit is not None and len(shown) > limit:
        out(f"  … {len(shown) - limit} more (write them with --report FILE)\n")
    for issue in s3.issues[:limit]:
        out(f"  not compared        {issue.path}: {issue.reason}\n")


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _blank(value: int | None) -> str | int:
    return "" if value is None else value
