"""Regenerate ``resources/sample_data/``: the seed's data tree, deterministic.

    python tools/make_sample_data.py            # writes resources/sample_data/
    python tools/make_sample_data.py --out DIR  # somewhere else
    python tools/make_sample_data.py --check    # exit 1 if the committed files differ

The four MBA CSV files follow ``docs/data-contract.md`` (see the shared docs) and are
valid and mutually consistent: every row loads, every ``plan_id`` and
``member_id`` exists in its parent file, no key repeats inside a file. They use
the spellings a real export has, so the ETL's header mapping and coercions are
exercised by the happy path too: ``MemberID``/``DOB``/``Zip`` headers,
``MM/DD/YYYY`` and ``YYYYMMDD`` dates, ``$1,250.00`` money, ``20%`` rates,
``Male``/``female`` genders, ZIP codes with leading zeros and quoted names with
commas. ``expected_counts.json`` holds the row count of every table after a
load; the tests assert it.

Only the standard library is used (the PDFs come from a ~40-line writer below),
and the output depends on nothing but the seed: no clock, no locale.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import filecmp
import io
import json
import random
import sys
import tempfile
from pathlib import Path

SEED = 20240601
REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "resources" / "sample_data"

N_PLANS = 200
N_MEMBERS = 500
PLAN_YEARS = (2023, 2024, 2025)
AS_OF = dt.date(2025, 6, 30)

_FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily "
    "Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah "
    "Timothy Stephanie José Zoë Renée Łukasz Siobhán Nguyễn Aarav Mei Olumide Fatima"
)
_LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell "
    "O'Brien D'Angelo Müller Søndergaard"
)
FIRST_NAMES = tuple(_FIRST.split(" "))
LAST_NAMES = (*_LAST.split(" "), "Van der Berg", "de la Cruz")
SUFFIXED = ("Smith, Jr.", "Johnson, III", "Brown, Sr.")
STATES = {  # state -> (plan-id code, zip prefixes; several start with 0)
    "MA": ("MA", ("021", "024", "017")),
    "NJ": ("NJ", ("070", "076", "085")),
    "CT": ("CT", ("060", "064")),
    "NY": ("NY", ("100", "112", "146")),
    "TX": ("TX", ("750", "770", "787")),
    "GA": ("GA", ("303", "314")),
    "CA": ("CA", ("900", "941", "958")),
    "IL": ("IL", ("606", "617")),
}
CARRIERS = ("BlueRiver", "Summit Health", "Cascadia Care", "Lakeshore", "Meridian", "Pinecrest")
PLAN_TYPES = ("HMO", "PPO", "EPO", "POS", "HDHP")
TIERS = ("Bronze", "Silver", "Gold", "Platinum", "Catastrophic")
EMAIL_DOMAINS = ("example.com", "mail.example.org", "inbox.example.net", "corp.example.com")
BENEFITS = (  # code, unit, limit range (None: no limit)
    ("PCP_VISIT", "VISITS", (10, 30)),
    ("SPECIALIST", "VISITS", (10, 20)),
    ("ER_VISIT", "VISITS", None),
    ("PHYSICAL_THERAPY", "VISITS", (20, 60)),
    ("CHIROPRACTIC", "VISITS", (12, 24)),
    ("INPATIENT", "DAYS", (30, 365)),
    ("SNF", "DAYS", (60, 120)),
    ("DME", "DOLLARS", (1000, 5000)),
    ("VISION", "DOLLARS", (150, 400)),
    ("HEARING_AID", "DOLLARS", (1500, 3000)),
)


def money(rng: random.Random, value: float) -> str:
    """The same amount in one of the spellings exports use."""
    style = rng.random()
    if style < 0.25:
        return f"${value:,.2f}"
    if style < 0.5:
        return f"{value:.2f}"
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0")


def date_text(rng: random.Random, day: dt.date, styles: str = "iso") -> str:
    choice = rng.choice(styles.split(","))
    if choice == "us":
        return day.strftime("%m/%d/%Y")
    if choice == "compact":
        return day.strftime("%Y%m%d")
    return day.isoformat()


def make_plans(rng: random.Random) -> list[dict[str, str]]:
    plans = []
    serial = 0
    while len(plans) < N_PLANS:
        serial += 1
        state = rng.choice(sorted(STATES))
        plan_type = rng.choice(PLAN_TYPES)
        year = rng.choice(PLAN_YEARS)
        tier = rng.choice(TIERS) if rng.random() < 0.85 else ""
        carrier = rng.choice(CARRIERS)
        ded = (
            rng.choice(range(0, 7001, 250))
            if plan_type != "HDHP"
            else rng.choice(range(1600, 7001, 100))
        )
        oop = ded + rng.choice(range(1000, 6001, 500))
        ded_family = ded * 2 if rng.random() < 0.9 else None
        oop_family = oop * 2 if rng.random() < 0.9 else None
        coins = rng.choice((None, 0.1, 0.2, 0.25, 0.3, 0.4))
        coins_text = (
            ""
            if coins is None
            else (f"{round(coins * 100)}%" if rng.random() < 0.5 else f"{coins}")
        )
        plans.append(
            {
                "plan_id": f"{plan_type}-{STATES[state][0]}-{year % 100}-{serial:04d}",
                "plan_name": f"{carrier} {tier or 'Standard'} {plan_type} {year}",
                "plan_type": plan_type,
                "metal_tier": tier,
                "plan_year": str(year),
                "deductible_individual": money(rng, ded),
                "deductible_family": "" if ded_family is None else money(rng, ded_family),
                "oop_max_individual": money(rng, oop),
                "oop_max_family": "" if oop_family is None else money(rng, oop_family),
                "coinsurance_rate": coins_text,
                "_state": state,
                "_year": str(year),
                "_ded": str(ded),
            }
        )
    return plans


def make_members(rng: random.Random, plans: list[dict[str, str]]) -> list[dict[str, str]]:
    members = []
    used_emails: set[str] = set()
    for index in range(N_MEMBERS):
        plan = rng.choice(plans)
        year = int(plan["_year"])
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(SUFFIXED) if rng.random() < 0.03 else rng.choice(LAST_NAMES)
        dob = dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 88))
        effective = (
            dt.date(year, 1, 1) if rng.random() < 0.7 else dt.date(year, rng.randint(1, 12), 1)
        )
        termination = None
        if rng.random() < 0.12:
            termination = effective + dt.timedelta(days=rng.randrange(30, 400))
        zip_prefix = rng.choice(STATES[plan["_state"]][1])
        zip_code = f"{zip_prefix}{rng.randrange(0, 100):02d}"
        if rng.random() < 0.15:
            zip_code += f"-{rng.randrange(0, 10000):04d}"
        gender = rng.choice(("M", "F", "M", "F", "Male", "female", "U", "X", ""))
        local = "".join(
            ch for ch in f"{first}.{last}".lower() if (ch.isascii() and ch.isalnum()) or ch == "."
        )
        email = f"{local}{index}@{rng.choice(EMAIL_DOMAINS)}"
        if rng.random() < 0.1 or email in used_emails:
            email = ""
        used_emails.add(email)
        members.append(
            {
                "MemberID": f"M{10_000_000 + index * 7 + rng.randrange(7):08d}",
                "FirstName": first,
                "LastName": last,
                "DOB": date_text(rng, dob, "us,us,iso"),
                "Gender": gender,
                "PlanID": plan["plan_id"],
                "EffectiveDate": date_text(rng, effective, "iso,iso,compact"),
                "TerminationDate": "" if termination is None else termination.isoformat(),
                "Zip": zip_code,
                "Email": email,
                "_year": str(year),
                "_ded": plan["_ded"],
            }
        )
    return members


def make_deductibles(rng: random.Random, members: list[dict[str, str]]) -> list[dict[str, str]]:
    rows = []
    for member in members:
        year = int(member["_year"])
        ded = int(member["_ded"])
        tiers = ["IN"] + (["OON"] if rng.random() < 0.45 else [])
        for tier in tiers:
            met = round(rng.uniform(0, ded), 2) if ded else 0.0
            oop = round(met + rng.uniform(0, 2500), 2)
            shown_tier = "" if tier == "IN" and rng.random() < 0.2 else tier
            rows.append(
                {
                    "member_id": member["MemberID"],
                    "plan_id": member["PlanID"],
                    "plan_year": str(year),
                    "network_tier": shown_tier,
                    "deductible_met": money(rng, met),
                    "oop_met": money(rng, oop),
                    "as_of_date": min(AS_OF, dt.date(year, 12, 31)).isoformat(),
                }
            )
    return rows


def make_accumulators(rng: random.Random, members: list[dict[str, str]]) -> list[dict[str, str]]:
    rows = []
    for member in members:
        year = int(member["_year"])
        for code, unit, limits in rng.sample(BENEFITS, rng.randint(1, 4)):
            limit = None if limits is None or rng.random() < 0.1 else rng.randint(*limits)
            if unit == "DOLLARS":
                used: float = round(rng.uniform(0, limit or 2000), 2)
            else:
                used = rng.randint(0, limit or 6)
            last_service = None
            if used:
                last_service = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(0, 180))
            rows.append(
                {
                    "member_id": member["MemberID"],
                    "plan_year": str(year),
                    "benefit_code": code if rng.random() < 0.9 else code.lower(),
                    "used_amount": money(rng, used) if unit == "DOLLARS" else str(used),
                    "limit_amount": "" if limit is None else str(limit),
                    "unit": unit,
                    "last_service_date": "" if last_service is None else last_service.isoformat(),
                }
            )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], *, crlf: bool = False) -> int:
    columns = [name for name in rows[0] if not name.startswith("_")]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n" if crlf else "\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row[name] for name in columns])
    return len(rows)


# --------------------------------------------------------------------------- PDF


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_pdf(path: Path, title: str, lines: list[str]) -> None:
    """A one-page PDF 1.4 with Helvetica text: header, objects, xref table, trailer."""
    stream = io.StringIO()
    stream.write(f"BT /F1 16 Tf 56 790 Td ({_pdf_escape(title)}) Tj ET\n")
    y = 760
    for line in lines:
        stream.write(f"BT /F1 10 Tf 56 {y} Td ({_pdf_escape(line)}) Tj ET\n")
        y -= 14
    content = stream.getvalue().encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
        f"<< /Title ({_pdf_escape(title)}) /Producer (tools/make_sample_data.py) >>".encode(
            "latin-1"
        ),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        len(objects),
        xref,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))


# --------------------------------------------------------------------------- main

README = """# Sample data

The seed system's data tree, for trying HMA Ingest without real member data and
for the tests. Every name, ID and amount is invented.

```
mba/csv/plan_details.csv        {plans:4} rows  -> table plans
mba/csv/MemberData.csv          {members:4} rows  -> table members (CRLF, export-style headers)
mba/csv/deductibles_oop.csv     {deductibles_oop:4} rows  -> table deductibles_oop
mba/csv/benefit_accumulator.csv {benefit_accumulator:4} rows  -> table benefit_accumulator
mba/pdf/benefit_coverage.pdf               one-page PDF (not loaded by the ETL)
policy/csv/policy_index.csv      {policies:3} rows  (policy scope; not loaded by the ETL)
policy/pdf/policy_terms_2024.pdf, policy/pdf/rider_dental.pdf
expected_counts.json                       rows per table after loading the four CSVs
```

All rows are valid under the data contract and mutually consistent (every
`plan_id` and `member_id` exists in its parent file; no key repeats in a file),
so loading the four CSVs gives exactly the counts above with zero rejects. They
use real-world spellings the ETL must accept: `MemberID`/`DOB`/`Zip` headers,
`MM/DD/YYYY` and `YYYYMMDD` dates, `$1,250.00` money, `20%` rates,
`Male`/`female`, ZIP codes with leading zeros, quoted names with commas,
non-ASCII names, an empty `network_tier` (means `IN`).

Regenerate (deterministic, standard library only):

    python tools/make_sample_data.py          # rewrite this folder
    python tools/make_sample_data.py --check  # exit 1 if it differs from the generator
"""


def generate(out: Path) -> dict[str, int]:
    rng = random.Random(SEED)
    plans = make_plans(rng)
    members = make_members(rng, plans)
    deductibles = make_deductibles(rng, members)
    accumulators = make_accumulators(rng, members)
    csv_dir = out / "mba" / "csv"
    counts = {
        "plans": write_csv(csv_dir / "plan_details.csv", plans),
        # The member export comes from a Windows tool: CRLF line endings.
        "members": write_csv(csv_dir / "MemberData.csv", members, crlf=True),
        "deductibles_oop": write_csv(csv_dir / "deductibles_oop.csv", deductibles),
        "benefit_accumulator": write_csv(csv_dir / "benefit_accumulator.csv", accumulators),
    }
    sample = plans[0]
    write_pdf(
        out / "mba" / "pdf" / "benefit_coverage.pdf",
        "Summary of Benefits and Coverage",
        [
            f"Plan: {sample['plan_name']} ({sample['plan_id']})",
            f"Plan type: {sample['plan_type']}    Plan year: {sample['plan_year']}",
            f"Deductible (individual): {sample['deductible_individual']}",
            f"Out-of-pocket maximum (individual): {sample['oop_max_individual']}",
            "Preventive care: covered in network at no cost.",
            "Emergency room: covered after deductible.",
            "Sample document generated by tools/make_sample_data.py; not a real plan.",
        ],
    )
    policies = []
    for number, plan in enumerate(plans[:25], start=1):
        policies.append(
            {
                "policy_number": f"POL-{2024_0000 + number}",
                "plan_id": plan["plan_id"],
                "group_name": f"{plan['plan_name'].split(' ')[0]} Employer Group {number}",
                "effective_date": f"{plan['plan_year']}-01-01",
                "status": rng.choice(("active", "active", "active", "lapsed")),
            }
        )
    write_csv(out / "policy" / "csv" / "policy_index.csv", policies)
    write_pdf(
        out / "policy" / "pdf" / "policy_terms_2024.pdf",
        "Group Policy Terms 2024",
        [
            "1. Eligibility: full-time employees and their dependants.",
            "2. Premiums are due on the first day of each month.",
            "3. Coverage ends at the end of the month of termination.",
            "Sample document generated by tools/make_sample_data.py.",
        ],
    )
    write_pdf(
        out / "policy" / "pdf" / "rider_dental.pdf",
        "Dental Rider",
        ["Preventive dental: 100%.", "Basic services: 80% after deductible."],
    )
    (out / "README.md").write_text(
        README.format(**counts, policies=len(policies)), encoding="utf-8"
    )
    (out / "expected_counts.json").write_text(
        json.dumps(counts, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp))
            diff = filecmp.dircmp(tmp, args.out)
            problems = _differences(diff)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    counts = generate(args.out)
    for table, count in counts.items():
        print(f"{table:20} {count:5} rows")
    return 0


def _differences(diff: filecmp.dircmp[str]) -> list[str]:
    problems = [f"only in generated: {name}" for name in diff.left_only]
    problems += [f"only in {diff.right}: {name}" for name in diff.right_only]
    problems += [f"differs: {diff.right}/{name}" for name in diff.diff_files]
    for sub in diff.subdirs.values():
        problems += _differences(sub)
    return problems


if __name__ == "__main__":
    raise SystemExit(main())
