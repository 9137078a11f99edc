"""The simulated chat customer, pure: one canned line per operator turn, then thanks and the
end; one rating once the chat has ended, by either side; the same chat, the same words."""

from cc_dev.simulation.chat_customer import (
    CLOSING,
    COMMENTS,
    LINES,
    OPENERS,
    Customer,
    End,
    Rate,
    Say,
    next_moves,
    opener,
    rating,
)


def test_a_customer_answers_each_operator_turn_then_thanks_and_ends() -> None:
    customer = Customer("c-1")
    said: list[object] = []
    for agent_messages in (0, 1, 1, 3, 4, 5):  # two operator messages at once are one turn
        customer, moves = next_moves(customer, agent_messages, chat_ended=False)
        said.extend(moves)

    assert said == [Say(LINES[0]), Say(LINES[1]), Say(LINES[2]), Say(CLOSING), End()]
    assert next_moves(customer, 6, chat_ended=False) == (customer, [])  # ended: says nothing


def test_a_chat_is_rated_once_after_it_ends_whoever_ended_it() -> None:
    customer, moves = next_moves(Customer("c-2", answered=1, replies=1), 1, chat_ended=True)

    assert moves == [rating("c-2")]
    assert customer.done
    assert next_moves(customer, 2, chat_ended=True) == (customer, [])


def test_the_same_chat_gets_the_same_words_and_score() -> None:
    rated = rating("chat-42")
    assert isinstance(rated, Rate)
    assert rated == rating("chat-42")
    assert rated.comment == COMMENTS[rated.score]
    assert opener("chat-42") == opener("chat-42")
    assert opener("chat-42") in OPENERS
    assert len({rating(f"chat-{n}").score for n in range(200)}) >= 3
