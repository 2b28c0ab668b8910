"""The price table shipped with inferstack: on-demand USD list prices with a source and date per row.

`prices.csv` holds three kinds of rows, told apart by `service`:

* prices (`ec2`, `sagemaker`, `eks`, `vpc`, ...): `item` is an instance type or a named price, `region`
  is where the price was read (`global` for Route53) and `unit` what one `price_usd` buys;
* `region_multiplier`: the factor that turns a us-east-1 price into the price in `item`'s region, used
  when the table has no row for that region;
* `spot_discount`: the typical fraction a spot instance of the family in `item` costs less than on demand.

A lookup that finds nothing returns None: the caller reports the resource as "not priced", never as $0.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

BASE_REGION = "us-east-1"
GLOBAL = "global"
_AS_OF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class PriceRow:
    """One row of prices.csv."""

    service: str
    item: str
    region: str
    unit: str
    value: float
    source: str
    as_of: str


@dataclass(frozen=True)
class Price:
    """A price resolved for a region: the row it came from and the multiplier applied (1.0 when exact)."""

    row: PriceRow
    region: str
    multiplier: float = 1.0

    @property
    def usd(self) -> float:
        return round(self.row.value * self.multiplier, 6)

    @property
    def unit(self) -> str:
        return self.row.unit

    @property
    def note(self) -> str:
        """Where the number comes from, in one line."""
        base = f"{self.row.source} ({self.row.as_of})"
        if self.multiplier != 1.0:
            return f"{base}; {self.row.region} price x {self.multiplier} region multiplier for {self.region}"
        return base


class PriceTable:
    """Lookups over the rows of a price table."""

    def __init__(self, rows: list[PriceRow]) -> None:
        self.rows = rows
        self._prices: dict[tuple[str, str, str], PriceRow] = {}
        self._multipliers: dict[str, PriceRow] = {}
        self._spot: dict[str, PriceRow] = {}
        for row in rows:
            if row.service == "region_multiplier":
                self._multipliers[row.item] = row
            elif row.service == "spot_discount":
                self._spot[row.item] = row
            else:
                self._prices[(row.service, row.item, row.region)] = row

    def multiplier(self, region: str) -> PriceRow | None:
        """The region multiplier row, or None for a region the table does not know."""
        return self._multipliers.get(region)

    def lookup(self, service: str, item: str, region: str) -> Price | None:
        """The price of `item` in `region`: an exact regional row, a global row, or the us-east-1 row times the
        region multiplier. None when the item or the region is not in the table."""
        exact = self._prices.get((service, item, region))
        if exact is not None:
            return Price(exact, region)
        global_row = self._prices.get((service, item, GLOBAL))
        if global_row is not None:
            return Price(global_row, region)
        base = self._prices.get((service, item, BASE_REGION))
        mult = self._multipliers.get(region)
        if base is None or mult is None:
            return None
        return Price(base, region, mult.value)

    def instance(self, instance_type: str, region: str) -> Price | None:
        """Hourly on-demand price of an EC2 (`g6.xlarge`) or SageMaker (`ml.g6.xlarge`) instance type."""
        service = "sagemaker" if instance_type.startswith("ml.") else "ec2"
        return self.lookup(service, instance_type, region)

    def spot_discount(self, instance_type: str) -> PriceRow | None:
        """The typical spot discount row of the instance's family (`g6` for `g6.xlarge`), or None."""
        family = instance_type.removeprefix("ml.").split(".", 1)[0]
        return self._spot.get(family)

    def items(self, service: str) -> list[str]:
        return sorted({r.item for r in self.rows if r.service == service})


def parse_rows(text: str) -> list[PriceRow]:
    """Rows of a price CSV; ValueError naming the line for a row without a price, source or date."""
    rows: list[PriceRow] = []
    reader = csv.DictReader(text.splitlines())
    expected = ["service", "item", "region", "unit", "price_usd", "source", "as_of"]
    if reader.fieldnames != expected:
        raise ValueError(f"prices.csv header is {reader.fieldnames}; expected {expected}")
    for line, rec in enumerate(reader, start=2):
        try:
            value = float(rec["price_usd"])
        except (TypeError, ValueError):
            raise ValueError(f"prices.csv line {line}: price_usd {rec['price_usd']!r} is not a number") from None
        if not (rec["source"] or "").strip():
            raise ValueError(f"prices.csv line {line}: {rec['item']!r} has no source; every price needs one")
        if not _AS_OF.match(rec["as_of"] or ""):
            raise ValueError(f"prices.csv line {line}: as_of {rec['as_of']!r} is not a date (YYYY[-MM[-DD]])")
        rows.append(
            PriceRow(
                service=rec["service"],
                item=rec["item"],
                region=rec["region"],
                unit=rec["unit"],
                value=value,
                source=rec["source"],
                as_of=rec["as_of"],
            )
        )
    return rows


@cache
def load_prices() -> PriceTable:
    """The table shipped in the package (read once)."""
    text = resources.files(__package__).joinpath("prices.csv").read_text(encoding="utf-8")
    return PriceTable(parse_rows(text))


__all__ = ["BASE_REGION", "GLOBAL", "Price", "PriceRow", "PriceTable", "load_prices", "parse_rows"]
