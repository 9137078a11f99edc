"""The web shop: sessions that browse, dwell on products, search the FAQ, fill carts, check out,
fail at checkout or walk away, in the proportions of ShopParams.mix (browse-events,
cart-events), and the orders they place (order-events, via `orders`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cc_dev.simulation.base import Stream, any_customer, arrivals
from cc_dev.simulation.orders import order_life
from cc_schemas import (
    CartItemAdded,
    CheckoutFailed,
    CheckoutFailureReason,
    CheckoutOrderPlaced,
    CheckoutStarted,
    CustomerContext,
    FaqArticleRated,
    FaqArticleViewed,
    FaqSearched,
    OrderItem,
    OrderStatusChecked,
    PageType,
    PageViewed,
    ProductViewed,
)

SHOP = "https://shop.example"
CATALOGUE: tuple[tuple[str, str, str, int], ...] = (
    ("p-train", "Wooden train set", "wooden-toys", 8990),
    ("p-blocks", "Building blocks, 120 pieces", "wooden-toys", 3490),
    ("p-doll", "Rag doll Lotte", "dolls", 2490),
    ("p-house", "Dolls' house with furniture", "dolls", 12900),
    ("p-puzzle", "Puzzle world map, 500 pieces", "puzzles", 1990),
    ("p-robot", "Programmable robot kit", "science", 7990),
    ("p-micro", "Children's microscope", "science", 4990),
    ("p-bike", "Balance bike", "outdoor", 9990),
    ("p-kite", "Dragon kite", "outdoor", 2990),
    ("p-game", "Family board game", "games", 2990),
)
FAQ_QUERIES = (
    "return label",
    "battery robot",
    "delivery time",
    "missing piece",
    "assembly instructions dolls house",
    "warranty",
    "change address",
    "voucher code",
)


class Session:
    """One visit; `at` advances as the visitor clicks."""

    def __init__(self, stream: Stream, number: int, start: datetime) -> None:
        self.s, self.at = stream, start
        self.session_id = f"sess-{stream.params.seed}-{number:06d}"
        self.customer = self._context()
        self.cart: list[tuple[str, str, int, int]] = []
        self.n = 0

    def _context(self) -> CustomerContext:
        r, p = self.s.rng, self.s.params.shop
        if r.random() >= p.logged_in_share:
            return CustomerContext(contact_by_chat=r.random() < 0.5)
        return CustomerContext(
            customer_id=any_customer(self.s).customer_id,
            segment=r.choice(("new", "regular", "regular", "vip")),
            contact_by_chat=r.random() < 0.8,
            contact_by_phone=r.random() < 0.4,
            contact_by_email=r.random() < 0.6,
            proactive_opt_out=r.random() < p.opt_out_share,
        )

    def wait(self, low: float, high: float) -> None:
        self.at += timedelta(seconds=self.s.rng.uniform(low, high))

    def common(self) -> dict[str, object]:
        self.n += 1
        return {
            "event_id": self.s.event_id(self.session_id, self.n),
            "occurred_at": self.at,
            "source": "shop",
            "session_id": self.session_id,
            "customer": self.customer,
        }

    def page(self, page_type: PageType, path: str, **extra: str) -> None:
        self.s.emit(
            self.at, PageViewed(**self.common(), page_type=page_type, url=f"{SHOP}{path}", **extra)
        )

    def product(self, item: tuple[str, str, str, int] | None = None) -> tuple[str, str, str, int]:
        pid, name, category, price = item or self.s.rng.choice(CATALOGUE)
        self.page(PageType.PRODUCT, f"/p/{pid}", product_id=pid, category=category)
        self.s.emit(
            self.at,
            ProductViewed(
                **self.common(),
                product_id=pid,
                name=name,
                category=category,
                price_cents=price,
                currency="EUR",
            ),
        )
        return pid, name, category, price

    def add(self, item: tuple[str, str, str, int]) -> None:
        pid, name, _, price = item
        quantity = 1 if self.s.rng.random() < 0.8 else 2
        self.cart.append((pid, name, quantity, price))
        self.s.emit(
            self.at,
            CartItemAdded(
                **self.common(),
                product_id=pid,
                name=name,
                quantity=quantity,
                unit_price_cents=price,
                currency="EUR",
                cart_value_cents=self.value,
            ),
        )

    @property
    def value(self) -> int:
        return sum(q * price for _, _, q, price in self.cart)

    def fill_cart(self) -> None:
        for _ in range(self.s.rng.randint(1, 3)):
            self.wait(10, 60)
            item = self.product()
            self.wait(20, 90)
            self.add(item)

    def checkout(self) -> None:
        self.wait(20, 60)
        self.page(PageType.CART, "/cart")
        self.wait(10, 40)
        self.s.emit(
            self.at, CheckoutStarted(**self.common(), cart_value_cents=self.value, currency="EUR")
        )


def browse(v: Session) -> None:
    v.page(PageType.HOME, "/")
    for _ in range(v.s.rng.randint(1, 3)):
        v.wait(5, 40)
        v.page(PageType.CATEGORY, "/c/" + v.s.rng.choice(CATALOGUE)[2])
    for _ in range(v.s.rng.randint(0, 2)):
        v.wait(5, 45)
        v.product()


def product_dwell(v: Session) -> None:
    """Minutes on one product's pages without adding it to the cart."""
    item = v.s.rng.choice(CATALOGUE)
    v.page(PageType.CATEGORY, "/c/" + item[2])
    for _ in range(v.s.rng.randint(3, 6)):
        v.wait(60, 150)
        v.product(item)


def faq_search(v: Session) -> None:
    """A long FAQ search that finds little."""
    v.page(PageType.FAQ, "/help")
    queries = v.s.rng.sample(FAQ_QUERIES, v.s.rng.randint(3, 5))
    for query in queries:
        v.wait(30, 90)
        v.s.emit(
            v.at, FaqSearched(**v.common(), query=query, results_count=v.s.rng.choice((0, 0, 1, 2)))
        )
    article = f"faq-{v.s.rng.randint(1, 40)}"
    v.wait(10, 30)
    v.s.emit(v.at, FaqArticleViewed(**v.common(), article_id=article))
    v.wait(20, 60)
    v.s.emit(v.at, FaqArticleRated(**v.common(), article_id=article, helpful=False))


def abandoned_cart(v: Session) -> None:
    browse(v)
    v.fill_cart()
    v.wait(10, 60)
    v.page(PageType.CART, "/cart")


def checkout_failed(v: Session) -> None:
    v.fill_cart()
    v.checkout()
    reason = v.s.rng.choice(list(CheckoutFailureReason))
    for _ in range(v.s.rng.randint(1, 2)):
        v.wait(15, 60)
        v.s.emit(v.at, CheckoutFailed(**v.common(), reason=reason))


def purchase(v: Session) -> None:
    browse(v)
    v.fill_cart()
    v.checkout()
    v.wait(30, 120)
    order_id = f"ord-{v.s.params.seed}-{v.session_id.rsplit('-', 1)[1]}"
    v.s.emit(
        v.at,
        CheckoutOrderPlaced(**v.common(), order_id=order_id, total_cents=v.value, currency="EUR"),
    )
    items = tuple(
        OrderItem(product_id=pid, name=name, quantity=q, unit_price_cents=price)
        for pid, name, q, price in v.cart
    )
    order_life(v.s, order_id, v.customer.customer_id, v.at, items, v.value)


def order_status(v: Session) -> None:
    v.page(PageType.ORDER_STATUS, "/account/orders")
    v.wait(5, 30)
    order_id = f"ord-{v.s.params.seed}-prev-{v.s.rng.randint(1, 999):06d}"
    v.s.emit(v.at, OrderStatusChecked(**v.common(), order_id=order_id))


KINDS = {
    "browse": browse,
    "product_dwell": product_dwell,
    "faq_search": faq_search,
    "abandoned_cart": abandoned_cart,
    "checkout_failed": checkout_failed,
    "purchase": purchase,
    "order_status": order_status,
}


def simulate_shop(stream: Stream) -> Stream:
    p = stream.params.shop
    for number, at in enumerate(arrivals(stream, p.sessions_per_day, p.profile), start=1):
        kind = stream.pick(p.mix)
        KINDS[kind](Session(stream, number, at))
    return stream
