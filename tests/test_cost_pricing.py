"""The shipped price table: every row sourced and dated, lookups, regional multipliers, spot discounts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from inferstack.pricing import load_prices, parse_rows

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "aws_prices.csv"


def test_every_shipped_row_has_a_source_and_a_date():
    table = load_prices()
    assert len(table.rows) > 80
    for row in table.rows:
        assert row.source.strip(), row
        assert row.as_of[:2] == "20", row


def test_loader_refuses_a_price_without_a_source():
    text = "service,item,region,unit,price_usd,source,as_of\nec2,x.large,us-east-1,hour,1.0,,2026-01-01\n"
    with pytest.raises(ValueError, match=r"line 2: 'x\.large' has no source"):
        parse_rows(text)


def test_loader_refuses_a_row_without_a_date():
    text = "service,item,region,unit,price_usd,source,as_of\nec2,x.large,us-east-1,hour,1.0,somewhere,n/a\n"
    with pytest.raises(ValueError, match="as_of 'n/a' is not a date"):
        parse_rows(text)


@pytest.mark.skipif(not REFERENCE.is_file(), reason="shared reference not beside the checkout")
def test_shipped_prices_match_the_reference_rows_they_were_built_from():
    table = load_prices()
    with REFERENCE.open(encoding="utf-8") as f:
        for ref in csv.DictReader(f):
            if ref["as_of"] == "n/a":
                continue  # the >25 hosted-zone tier has no date; not shipped
            price = table.lookup(ref["category"], ref["item"], ref["region"])
            assert price is not None, ref
            assert price.usd == pytest.approx(float(ref["price_usd"])), ref


def test_instance_lookup_reads_ec2_and_sagemaker_hourly_prices():
    table = load_prices()
    ec2 = table.instance("g6.xlarge", "us-east-1")
    sm = table.instance("ml.g6.xlarge", "us-east-1")
    assert ec2 is not None and ec2.usd == 0.8048 and ec2.unit == "hour"
    assert sm is not None and sm.usd == 1.1267


def test_an_exact_regional_row_wins_over_the_multiplier():
    price = load_prices().instance("g5.xlarge", "eu-west-1")
    assert price is not None
    assert price.usd == 1.123
    assert price.multiplier == 1.0


def test_other_regions_use_the_us_east_1_price_times_the_region_multiplier():
    table = load_prices()
    mult = table.multiplier("eu-west-1")
    assert mult is not None and mult.value == pytest.approx(1.123 / 1.006, abs=1e-4)
    price = table.instance("g6.xlarge", "eu-west-1")
    assert price is not None
    assert price.usd == round(0.8048 * mult.value, 6)
    assert "region multiplier" in price.note


def test_global_prices_ignore_the_region():
    price = load_prices().lookup("route53", "hosted zone (first 25)", "ap-northeast-1")
    assert price is not None and price.usd == 0.50


def test_unknown_types_and_regions_are_not_priced_rather_than_free():
    table = load_prices()
    assert table.instance("g7.huge", "us-east-1") is None
    assert table.instance("g6.xlarge", "mars-north-1") is None


def test_spot_discounts_exist_for_every_gpu_family_in_the_catalog():
    from inferstack.catalog import EC2_TYPES

    table = load_prices()
    for spec in EC2_TYPES.values():
        if spec.accelerator:
            row = table.spot_discount(spec.name)
            assert row is not None, spec.name
            assert 0 < row.value < 1
    assert table.spot_discount("m6i.large") is None


def test_every_catalog_instance_type_has_a_us_east_1_price():
    from inferstack.catalog import EC2_TYPES, SAGEMAKER_TYPES

    table = load_prices()
    missing = [t for t in [*EC2_TYPES, *SAGEMAKER_TYPES] if table.instance(t, "us-east-1") is None]
    assert missing == []
