"""Canned responses, pure: placeholders filled from what chat knows, left visible when it knows
nothing, never expanded twice; a table naming an unknown placeholder is refused."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat.canned import DEFAULT_TABLE, Canned, UnknownPlaceholder, check_table, fill


def test_known_values_fill_their_placeholders_and_unknown_ones_stay_for_the_operator() -> None:
    text = "Hello {customer_name}, order {order_id} is on its way. {operator_name}"
    assert fill(text, {"order_id": "O-4471", "operator_name": "Giulia", "customer_name": None}) == (
        "Hello {customer_name}, order O-4471 is on its way. Giulia"
    )


def test_a_value_is_put_in_as_text_and_never_expanded_again() -> None:
    values = {"customer_name": "{order_id} <script>", "order_id": "O-1"}
    assert fill("Hi {customer_name} ({order_id})", values) == "Hi {order_id} <script> (O-1)"
    assert fill("{order_id.__class__}", values) == "{order_id.__class__}"


def test_the_default_table_is_valid_and_a_table_naming_an_unknown_placeholder_is_refused() -> None:
    assert check_table(DEFAULT_TABLE) == DEFAULT_TABLE
    with pytest.raises(UnknownPlaceholder, match="credit_card"):
        check_table((Canned("x", "X", "Your card {credit_card}"),))
    with pytest.raises(UnknownPlaceholder, match="share a key"):
        check_table((Canned("x", "X", "a"), Canned("x", "Y", "b")))


@given(st.text(), st.text(), st.text())
def test_filling_keeps_every_character_outside_the_placeholders(
    before: str, after: str, value: str
) -> None:
    text = before.replace("{", "(") + "{order_id}" + after.replace("{", "(")
    assert fill(text, {"order_id": value or None}) == (
        before.replace("{", "(") + (value or "{order_id}") + after.replace("{", "(")
    )
