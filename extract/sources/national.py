"""National trade statistics by partner, dropped as files: where UN Comtrade is thin for Central Asia.

Three layouts, one raw table each (the file name's prefix says which layout a file has):

| prefix     | reporter | publisher and layout                                                                 |
|------------|----------|--------------------------------------------------------------------------------------|
| `uzstat_`  | UZB      | stat.uz SDMX CSV: `Code` (M49 numeric), labels uz/ru/en, one column per year        |
| `kg_nsc_`  | KGZ      | National Statistical Committee workbook: labels ky/ru/en, a header row of years     |
| `armstat_` | ARM      | armstat monthly CSV: country, export, import_consigment, import_origin, timeperiod, year; or the 2007-2024 (tvyal) CSV: country, year, month, export, import_origin, import_consignment, date (recognised by its header; extract/readers/armstat_tvyal.py) |
| `kz_bns_`  | KAZ      | Kazakhstan BNS .xls "main indicators of foreign trade by country", Russian labels (extract/readers/kz_bns.py) |
| `rosstat_` | RUS      | Rosstat/FTS workbook, Russia x 29 main partners monthly, USD million, Russian labels (extract/readers/rosstat.py) |

Every value is in thousand US dollars as published (Rosstat: million US dollars, `value_million_usd`) (each layout's unit is checked where the file states it).
Missing cells ('-', '…', '..', 'x', empty) become null, never 0. Totals, groups, continents and unallocated
partners are loaded with a `row_kind` other than 'country' so staging can keep them apart.

The Kyrgyz and Armenian tables name partners by label only: each English label is looked up in
`seeds/national_partner_labels.csv` (label_en -> iso3, kind); the Kazakh and Russian tables by Russian
label, looked up in `seeds/national_partner_labels_ru.csv` (label_ru -> iso3, kind; Latin look-alike
letters folded to Cyrillic). An unknown label fails the file with an error naming the file, the row and the
label. The seed is landed with the file and its hash is part of the
change stamp, so editing the seed re-parses those files.

One partition per file; change stamp = the file's sha256 (plus the label seed's sha256 where it is used),
remembered by size and mtime in landing/national/file-stamps.json (extract.landing.FileStamps).
Settings (`[sources.national]`): `files` (paths, resolved from the repo root by config.py) and/or `drop_dir`
(every file in it with a known prefix); `labels_seed` (default seeds/national_partner_labels.csv).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import polars as pl
from pydantic import Field, model_validator

from extract.errors import BadResponse, SchemaDrift, SourceError
from extract.landing import FileStamps
from extract.readers import armstat_tvyal, kz_bns, rosstat
from extract.readers.cells import number, read_ru_labels
from extract.readers.csv_drop import decode
from extract.settings import PROJECT_DIR
from extract.sources.base import (
    ConfigPath,
    Context,
    Dataset,
    Fetched,
    FileDrops,
    ParseResult,
    Partition,
    Source,
    SourceSettings,
    check_unique_names,
    conform,
    file_fetched,
)

MISSING = {"", "-", "–", "—", "…", "...", "..", "x", "X"}
LABEL_SEED = Path("seeds") / "national_partner_labels.csv"
RU_LABEL_SEED = Path("seeds") / "national_partner_labels_ru.csv"
LAYOUTS = {"uzstat_": "uzstat", "kg_nsc_": "kg_nsc", "armstat_": "armstat", "kz_bns_": "kz_bns", "rosstat_": "rosstat"}
RU_LAYOUTS = {"kz_bns": kz_bns, "rosstat": rosstat}  # layouts with Russian labels: parser module
REPORTERS = {"uzstat": "UZB", "kg_nsc": "KGZ", "armstat": "ARM"}
UZSTAT_FLOWS = {"1105": "export", "1176": "import"}  # stat.uz SDMX dataset ids
UZSTAT_AGGREGATE_CODES = {"000": "other"}  # 'Other countries'
TOTAL_LABELS = {"total", "world", "all countries"}
SEED_KINDS = {"total", "group", "region", "other", "country"}

COMMON_HEAD = {"reporter_iso3": pl.String, "flow": pl.String}
COMMON_TAIL = {
    "row_kind": pl.String,
    "year": pl.Int32,
    "month": pl.Int32,
    "value_thousand_usd": pl.Float64,
    "source_row": pl.Int32,
}
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "uzstat": {
        **COMMON_HEAD,
        "partner_code": pl.String,
        "partner_label_uz": pl.String,
        "partner_label_ru": pl.String,
        "partner_label_en": pl.String,
        **COMMON_TAIL,
    },
    "kg_nsc": {
        **COMMON_HEAD,
        "partner_label_ky": pl.String,
        "partner_label_ru": pl.String,
        "partner_label_en": pl.String,
        "partner_iso3": pl.String,
        **COMMON_TAIL,
        "footnote": pl.String,
    },
    "armstat": {
        **COMMON_HEAD,
        "import_basis": pl.String,
        "partner_label_en": pl.String,
        "partner_iso3": pl.String,
        **COMMON_TAIL,
    },
    "kz_bns": kz_bns.SCHEMA,
    "rosstat": rosstat.SCHEMA,
}

UZ_REQUIRED = ("Code", "Klassifikator", "Klassifikator_ru", "Klassifikator_en")
ARM_REQUIRED = ("country", "export", "import_consigment", "import_origin", "timeperiod", "year")
ARM_FLOWS = (
    ("export", "export", None),
    ("import_consigment", "import", "consignment"),
    ("import_origin", "import", "origin"),
)
YEAR_RE = re.compile(r"^(\d{4})(?:\s*(\S+))?$")


def _csv_header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="", errors="replace") as fh:
        return [h.strip() for h in next(csv.reader(fh), [])]


def layout_of(path: Path) -> str | None:
    for prefix, layout in LAYOUTS.items():
        if path.name.startswith(prefix):
            return layout
    return None


def to_value(source: str, where: str, column: str, value) -> float | None:
    """A cell as a float; the missing markers as null; anything else fails naming the cell."""
    return number(source, where, column, value, MISSING)


def read_labels(source: str, where: str, body: bytes) -> dict[str, tuple[str | None, str]]:
    """label_en -> (iso3 or None, kind) from the label seed's bytes."""
    reader = csv.DictReader(io.StringIO(decode(source, where, body)))
    missing = [c for c in ("label_en", "iso3", "kind") if c not in (reader.fieldnames or [])]
    if missing:
        raise SchemaDrift(source, where, f"label seed column {missing[0]!r} is missing", field=missing[0])
    out: dict[str, tuple[str | None, str]] = {}
    for row in reader:
        label = (row["label_en"] or "").strip()
        if row["kind"] not in SEED_KINDS:
            raise SchemaDrift(source, f"{where} line {reader.line_num}", f"kind {row['kind']!r} unknown", field="kind")
        if label in out:
            raise SchemaDrift(source, f"{where} line {reader.line_num}", f"label {label!r} twice", field="label_en")
        out[label] = ((row["iso3"] or "").strip() or None, row["kind"])
    return out


def lookup(source: str, where: str, labels: dict, label: str) -> tuple[str | None, str]:
    if label not in labels:
        raise SchemaDrift(
            source,
            where,
            f"unknown partner label {label!r}: add it to {LABEL_SEED} (label_en, iso3, is_aggregate, kind)",
            field="partner_label_en",
        )
    return labels[label]


# --------------------------------------------------------------------------- the three layouts


def parse_uzstat(source: str, where: str, body: bytes, flow: str) -> tuple[list[dict], list[str]]:
    reader = csv.reader(io.StringIO(decode(source, where, body)))
    header = [h.strip() for h in next(reader, [])]
    for field in UZ_REQUIRED:
        if field not in header:
            raise SchemaDrift(source, where, f"required column {field!r} is missing", field=field)
    years = {i: int(h) for i, h in enumerate(header) if re.fullmatch(r"\d{4}", h)}
    if not years:
        raise SchemaDrift(source, where, "no year columns (a header like 2010, 2011, ...)", field="year columns")
    warnings = [
        f"[{source}] {where}: unknown column {h!r} kept in the landing file, not loaded"
        for i, h in enumerate(header)
        if h not in UZ_REQUIRED and i not in years
    ]
    col = {name: header.index(name) for name in UZ_REQUIRED}
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        at = f"{where} line {line}"
        if len(cells) != len(header):
            raise SchemaDrift(source, at, f"{len(cells)} cells where the header has {len(header)}", field="row")
        code = cells[col["Code"]].strip()
        if not code.isdigit():
            raise SchemaDrift(source, at, f"Code {code!r} is not a numeric M49 code", field="Code")
        code = code.zfill(3)
        if code in seen:
            raise SchemaDrift(source, at, f"partner code {code} already on line {seen[code]}", field="Code")
        seen[code] = line
        label_en = cells[col["Klassifikator_en"]].strip()
        kind = UZSTAT_AGGREGATE_CODES.get(code) or ("total" if label_en.lower() in TOTAL_LABELS else "country")
        base = {
            "partner_code": code,
            "partner_label_uz": cells[col["Klassifikator"]].strip(),
            "partner_label_ru": cells[col["Klassifikator_ru"]].strip(),
            "partner_label_en": label_en,
            "row_kind": kind,
            "month": None,
            "source_row": line,
        }
        for i, year in years.items():
            value = to_value(source, at, header[i], cells[i])
            rows.append({**base, "flow": flow, "year": year, "value_thousand_usd": value})
    return rows, warnings


def year_text(cell) -> str:
    """A header cell as text: 1994, 1994.0 (Excel number) and '2023 1' (year + footnote marker)."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _workbook_rows(source: str, where: str, body: bytes):
    import openpyxl  # local: only the Kyrgyz layout needs it

    try:
        wb = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise BadResponse(source, where, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
    try:
        for ws in wb.worksheets:
            rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
            for i, r in enumerate(rows[:30]):
                if len(r) > 3 and r[3] is not None and YEAR_RE.match(year_text(r[3])):
                    return ws.title, rows, i
    finally:
        wb.close()
    raise SchemaDrift(source, where, "no header row of years (1994, 1995, ...) in any sheet", field="year header row")


def parse_kg_nsc(source: str, where: str, body: bytes, labels: dict) -> tuple[list[dict], list[str]]:
    sheet, rows, h = _workbook_rows(source, where, body)
    where = f"{where} sheet {sheet!r}"
    title = " ".join(str(c) for r in rows[:h] for c in r if c is not None)
    low = title.lower()
    if "thousand us dollars" not in low and "тыс. долларов сша" not in low:
        raise SchemaDrift(
            source, where, "the unit line '(thousand US dollars)' is missing above the header", field="unit"
        )
    if "exports" in low or "экспорт" in low:
        flow = "export"
    elif "imports" in low or "импорт" in low:
        flow = "import"
    else:
        raise SchemaDrift(source, where, "the title names neither exports nor imports", field="title")
    years: dict[int, tuple[int, str | None]] = {}
    for i, cell in enumerate(rows[h]):
        if i < 3 or cell is None:
            continue
        m = YEAR_RE.match(year_text(cell))
        if not m:
            raise SchemaDrift(source, f"{where} row {h + 1}", f"header cell {cell!r} is not a year", field="year")
        years[i] = (int(m.group(1)), m.group(2))
    footnotes: dict[str, str] = {}
    data: list[tuple[int, tuple]] = []
    for n, r in enumerate(rows[h + 1 :], start=h + 2):
        cells = list(r) + [None] * (max(years) + 1 - len(r))
        label_en = cells[2].strip() if isinstance(cells[2], str) else cells[2]
        values = [cells[i] for i in years]
        if all(v is None for v in values):
            # A footnote ('1 Preliminary data') or a blank separator row: neither is a partner.
            text = next((str(c).strip() for c in (cells[2], cells[1], cells[0]) if c is not None), "")
            m = re.match(r"^(\d{1,2})\s+(.+)$", text)
            if m:
                footnotes[m.group(1)] = m.group(2).strip()
                continue
            if label_en is None:
                continue
        if not isinstance(label_en, str) or not label_en:
            raise SchemaDrift(
                source, f"{where} row {n}", "values without an English partner label", field="partner_label_en"
            )
        data.append((n, cells))
    out: list[dict] = []
    seen: dict[str, int] = {}
    for n, cells in data:
        label_en = cells[2].strip()
        at = f"{where} row {n}"
        iso3, kind = lookup(source, f"{at} (label {label_en!r})", labels, label_en)
        if label_en in seen:
            raise SchemaDrift(
                source, at, f"partner {label_en!r} already on row {seen[label_en]}", field="partner_label_en"
            )
        seen[label_en] = n
        base = {
            "partner_label_ky": str(cells[0]).strip() if cells[0] is not None else None,
            "partner_label_ru": str(cells[1]).strip() if cells[1] is not None else None,
            "partner_label_en": label_en,
            "partner_iso3": iso3,
            "row_kind": kind,
            "month": None,
            "source_row": n,
        }
        for i, (year, marker) in years.items():
            value = to_value(source, at, str(rows[h][i]), cells[i])
            note = (footnotes.get(marker) or f"footnote {marker}") if marker else None
            out.append({**base, "flow": flow, "year": year, "value_thousand_usd": value, "footnote": note})
    return out, []


def parse_armstat(source: str, where: str, body: bytes, labels: dict) -> tuple[list[dict], list[str]]:
    reader = csv.reader(io.StringIO(decode(source, where, body)))
    header = [h.strip() for h in next(reader, [])]
    for field in ARM_REQUIRED:
        if field not in header:
            raise SchemaDrift(source, where, f"required column {field!r} is missing", field=field)
    warnings = [
        f"[{source}] {where}: unknown column {h!r} kept in the landing file, not loaded"
        for h in header
        if h not in ARM_REQUIRED
    ]
    col = {name: header.index(name) for name in ARM_REQUIRED}
    out: list[dict] = []
    seen: dict[tuple, int] = {}
    unlabelled = 0
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        at = f"{where} line {line}"
        if len(cells) != len(header):
            raise SchemaDrift(source, at, f"{len(cells)} cells where the header has {len(header)}", field="row")
        label = cells[col["country"]].strip()
        if label:
            iso3, kind = lookup(source, f"{at} (label {label!r})", labels, label)
        else:  # the published file has one partner series whose name is lost: kept, flagged, counted
            iso3, kind = None, "unlabelled"
            unlabelled += 1
        year_text, period = cells[col["year"]].strip(), cells[col["timeperiod"]].strip()
        if not re.fullmatch(r"\d{4}", year_text):
            raise SchemaDrift(source, at, f"year {year_text!r} is not a year", field="year")
        if period == "Year":
            month = None
        elif period.isdigit() and 1 <= int(period) <= 12:
            month = int(period)
        else:
            raise SchemaDrift(
                source, at, f"timeperiod {period!r} is neither a month 1-12 nor 'Year'", field="timeperiod"
            )
        key = (label, year_text, period)
        if key in seen:
            raise SchemaDrift(
                source, at, f"{label!r} {year_text}/{period} already on line {seen[key]}", field="country"
            )
        seen[key] = line
        for column, flow, basis in ARM_FLOWS:
            out.append(
                {
                    "flow": flow,
                    "import_basis": basis,
                    "partner_label_en": label or None,
                    "partner_iso3": iso3,
                    "row_kind": kind,
                    "year": int(year_text),
                    "month": month,
                    "value_thousand_usd": to_value(source, at, column, cells[col[column]]),
                    "source_row": line,
                }
            )
    if unlabelled:
        warnings.append(
            f"[{source}] {where}: {unlabelled} lines have an empty country; loaded with row_kind 'unlabelled'"
        )
    return out, warnings


# --------------------------------------------------------------------------- the source


class NationalSettings(SourceSettings):
    """[sources.national]"""

    files: FileDrops = Field(
        [], description="Files, named by layout: uzstat_sdmx_data_{id}_*, kg_nsc_*, armstat_*, kz_bns_*, rosstat_*."
    )
    drop_dir: ConfigPath | None = Field(None, description="A folder: every file in it with a known layout is read.")
    labels_seed: ConfigPath = Field(
        PROJECT_DIR / LABEL_SEED,
        description="Partner labels -> ISO3 and kind (label_en, iso3, is_aggregate, kind); default: the repository's seed.",
    )
    labels_seed_ru: ConfigPath = Field(
        PROJECT_DIR / RU_LABEL_SEED,
        description="Russian partner labels (KZ BNS, Rosstat) -> ISO3 and kind (label_ru, iso3, kind); default: the repository's seed.",
    )

    @model_validator(mode="after")
    def _something(self):
        if not self.files and not self.drop_dir:
            raise ValueError("no files and no drop_dir")
        return self


class National(Source):
    name = "national"
    datasets = {
        "uzstat": Dataset("uzstat", SCHEMAS["uzstat"]),  # Uzbekistan (stat.uz) trade by partner, yearly, thousand USD.
        "kg_nsc": Dataset("kg_nsc", SCHEMAS["kg_nsc"]),  # Kyrgyzstan (NSC) trade by partner, yearly, thousand USD.
        "armstat": Dataset("armstat", SCHEMAS["armstat"]),  # Armenia (armstat) trade by partner, monthly, thousand USD.
        "kz_bns": Dataset("kz_bns", SCHEMAS["kz_bns"]),  # Kazakhstan (BNS) trade by partner, yearly, thousand USD.
        "rosstat": Dataset("rosstat", SCHEMAS["rosstat"]),  # Russia (Rosstat/FTS) x 29 partners, monthly, million USD.
    }
    Settings = NationalSettings

    def _files(self) -> list[Path]:
        files = list(self.settings.files)
        drop = self.settings.drop_dir
        if drop:
            files += sorted(p for p in drop.iterdir() if p.is_file() and layout_of(p))
        files = list(dict.fromkeys(files))
        check_unique_names(files, self.name)
        return files

    def _seed_path(self, layout: str = "kg_nsc") -> Path:
        return self.settings.labels_seed_ru if layout in RU_LAYOUTS else self.settings.labels_seed

    def plan(self, ctx: Context) -> list[Partition]:
        # a file's stamp is its sha256, not read again while its size and mtime stay the same
        stamps = FileStamps.of_source(ctx.landing_root if ctx else None, self.name)
        partitions = []
        for path in self._files():
            layout = layout_of(path)
            if layout is None:
                raise SourceError(
                    self.name, str(path), f"unknown layout: the file name must start with {', '.join(LAYOUTS)}"
                )
            params = {"path": str(path), "layout": layout}
            if layout == "uzstat":
                m = re.match(r"uzstat_sdmx_data_(\d+)_", path.name)
                if not m or m.group(1) not in UZSTAT_FLOWS:
                    raise SourceError(self.name, str(path), f"stat.uz dataset id not one of {sorted(UZSTAT_FLOWS)}")
                params["flow"] = UZSTAT_FLOWS[m.group(1)]
            if layout == "armstat" and path.exists():
                params["format"] = "tvyal" if armstat_tvyal.is_tvyal_header(_csv_header(path)) else "armstat"
            seed = self._seed_path(layout)
            if not path.exists():  # planned all the same: its fetch fails and the failure is recorded
                stamp = "missing"
            else:
                stamp = stamps.sha256(path)
                if layout != "uzstat":
                    if not seed.exists():
                        raise SourceError(self.name, str(seed), "the partner label seed does not exist")
                    stamp += f"+labels:{stamps.sha256(seed)}"
            partitions.append(Partition(self.name, layout, f"file={path.name}", params, source_updated_at=stamp))
        stamps.save()
        return partitions

    def fetch(self, ctx: Context, partition: Partition) -> list[Fetched]:
        bodies = [file_fetched(Path(partition.params["path"]), self.name)]
        if partition.params["layout"] != "uzstat":
            bodies.append(file_fetched(self._seed_path(partition.params["layout"]), self.name))
        return bodies

    def parse(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        layout = partition.params["layout"]
        main = bodies[0]
        where = main.url
        if layout in RU_LAYOUTS:
            labels = read_ru_labels(self.name, bodies[1].url, bodies[1].body)
            frame = RU_LAYOUTS[layout].parse(self.name, where, main.body, labels)
            return ParseResult(conform(self.name, where, frame, SCHEMAS[layout]), [])
        if layout == "armstat" and partition.params.get("format") == "tvyal":
            labels = read_labels(self.name, bodies[1].url, bodies[1].body)
            frame = armstat_tvyal.parse(self.name, where, main.body, labels)
            return ParseResult(conform(self.name, where, frame, SCHEMAS[layout]), [])
        if layout == "uzstat":
            rows, warnings = parse_uzstat(self.name, where, main.body, partition.params["flow"])
        else:
            labels = read_labels(self.name, bodies[1].url, bodies[1].body)
            parser = parse_kg_nsc if layout == "kg_nsc" else parse_armstat
            rows, warnings = parser(self.name, where, main.body, labels)
        schema = SCHEMAS[layout]
        reporter = REPORTERS[layout]
        frame = pl.DataFrame(
            [{**r, "reporter_iso3": reporter} for r in rows],
            schema={
                c: (pl.Float64 if t == pl.Float64 else pl.Int64 if t == pl.Int32 else pl.String)
                for c, t in schema.items()
            },
        )
        return ParseResult(conform(self.name, where, frame, schema), warnings)
