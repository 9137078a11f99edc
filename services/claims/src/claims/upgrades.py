"""Better products to offer when a replacement's own product is out of stock (issue 18: "when
it is out of stock, replace with a better one"): per product code or code prefix (the longest
wins), the models up from it, best first, as marketing configures them (upgrades.toml). Pure."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_UPGRADES = Path(__file__).with_name("upgrades.toml")


@dataclass(frozen=True)
class Upgrades:
    by_code: Mapping[str, tuple[str, ...]]

    def better_than(self, product: str) -> tuple[str, ...]:
        """The products up from `product`, best first: its own entry, else its longest prefix's."""
        matching = [code for code in self.by_code if product.startswith(code)]
        if not matching:
            return ()
        return tuple(p for p in self.by_code[max(matching, key=len)] if p != product)


class BadUpgrades(ValueError):
    """An upgrades file that is not a table of product codes to lists of product codes."""


def load_upgrades(path: Path = DEFAULT_UPGRADES) -> Upgrades:
    products = tomllib.loads(path.read_text(encoding="utf-8")).get("products", {})
    if not isinstance(products, dict) or not all(
        isinstance(better, list) and all(isinstance(p, str) and p for p in better)
        for better in products.values()
    ):
        raise BadUpgrades(f"{path}: [products] maps product codes to lists of product codes")
    return Upgrades({code: tuple(better) for code, better in products.items()})
