"""Better products for an out-of-stock replacement: a product's own entry, else its longest
prefix's, never itself; the first the shop has in stock is offered, an unknown one never."""

import asyncio
from pathlib import Path

import pytest

from claims.availability import first_in_stock
from claims.upgrades import DEFAULT_UPGRADES, BadUpgrades, Upgrades, load_upgrades

UPGRADES = Upgrades(
    {
        "TRN-": ("TRN-3000", "TRN-2050"),
        "TRN-20": ("TRN-2050", "TRN-3000"),
        "TRN-2040": ("TRN-2041",),
    }
)


class Shop:
    def __init__(self, stock: dict[str, bool]) -> None:
        self.stock = stock

    async def in_stock(self, product_id: str) -> bool | None:
        return self.stock.get(product_id)


def test_a_products_own_entry_wins_then_its_longest_prefix() -> None:
    assert UPGRADES.better_than("TRN-2040") == ("TRN-2041",)
    assert UPGRADES.better_than("TRN-2045") == ("TRN-2050", "TRN-3000")
    assert UPGRADES.better_than("TRN-1000") == ("TRN-3000", "TRN-2050")
    assert UPGRADES.better_than("RC-100") == ()


def test_a_product_is_never_offered_as_better_than_itself() -> None:
    assert UPGRADES.better_than("TRN-3000") == ("TRN-2050",)


def test_the_first_better_product_in_stock_is_offered_and_an_unknown_one_never() -> None:
    shop = Shop({"TRN-3000": False, "TRN-2050": True})
    assert asyncio.run(first_in_stock(("TRN-3000", "TRN-2050"), shop)) == "TRN-2050"
    assert asyncio.run(first_in_stock(("TRN-9999",), shop)) is None  # the shop does not say


def test_the_shipped_upgrades_load_and_a_malformed_file_is_refused(tmp_path: Path) -> None:
    assert load_upgrades(DEFAULT_UPGRADES).better_than("TRN-2040") == ("TRN-3000", "TRN-2050")
    bad = tmp_path / "upgrades.toml"
    bad.write_text('[products]\n"TRN-" = "TRN-3000"\n', encoding="utf-8")
    with pytest.raises(BadUpgrades):
        load_upgrades(bad)
