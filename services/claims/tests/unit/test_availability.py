"""The shop's availability lookup: in stock, out of stock, and unknown when the shop does not
answer or answers something else (never an error for the operator's decision)."""

import asyncio

import httpx

from claims.availability import ShopAvailability


def shop(stock: dict[str, object], status: int = 200) -> ShopAvailability:
    def answer(request: httpx.Request) -> httpx.Response:
        product = request.url.path.split("/")[-2]
        return httpx.Response(status, json={"in_stock": stock.get(product)})

    return ShopAvailability("http://shop/api", httpx.MockTransport(answer))


def test_the_shop_says_in_stock_or_not_and_anything_else_is_unknown() -> None:
    stock = {"TRN-2040": False, "TRN-3000": True, "ODD-1": "yes"}
    looked = [asyncio.run(shop(stock).in_stock(p)) for p in ("TRN-2040", "TRN-3000", "ODD-1")]
    assert looked == [False, True, None]
    assert asyncio.run(shop(stock, status=503).in_stock("TRN-3000")) is None
