"""Scrubbing: generated cases full of personal data come out with none of it."""

import re

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.mining.clean import clean
from knowledge.mining.scrub import scrub

FIRST = ["Mario", "Giulia", "Anna", "Luca", "John", "Emily", "Francesca", "Oliver", "Chiara"]
LAST = ["Rossi", "Bianchi", "Esposito", "Smith", "Brown", "Ferrari", "Colombo", "Taylor"]
STREETS = ["Via", "Viale", "Corso", "Piazza", "Street", "Road", "Avenue", "Lane"]
WORDS = ["Roma", "Garibaldi", "Baker", "Vittorio Emanuele", "Oak", "Dante", "High"]

# Listed first names and surnames, and made-up capitalised ones that only their context
# ("my name is", "Mr", a sign-off) shows to be names.
listed_names = st.builds(lambda f, s: f"{f} {s}", st.sampled_from(FIRST), st.sampled_from(LAST))
names = st.one_of(listed_names, st.from_regex(r"\A[A-Z][a-z]{3,9}( [A-Z][a-z]{3,9})?\Z"))
emails = st.emails().filter(lambda e: "\n" not in e)


@st.composite
def phones(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(["IT", "GB", "US", "FR"]))
    kind = draw(
        st.sampled_from(
            [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
        )
    )
    example = phonenumbers.example_number_for_type(region, kind)
    style = draw(
        st.sampled_from(
            [
                phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                phonenumbers.PhoneNumberFormat.NATIONAL,
                phonenumbers.PhoneNumberFormat.E164,
            ]
        )
    )
    return phonenumbers.format_number(example, style)


addresses = st.one_of(
    st.builds(
        lambda s, w, n: f"{s} {w} {n}",
        st.sampled_from(STREETS[:4]),
        st.sampled_from(WORDS),
        st.integers(1, 250),
    ),
    st.builds(
        lambda n, w, s: f"{n} {w} {s}",
        st.integers(1, 250),
        st.sampled_from(WORDS),
        st.sampled_from(STREETS[4:]),
    ),
)
postcodes = st.from_regex(r"\A[0-9]{5}\Z")
orders = st.builds(
    lambda p, n: f"{p}{n}",
    st.sampled_from(["ORD-", "A", "#", "", "T-", "TCK"]),
    st.integers(1000, 99_999_999),
)

TEMPLATES = [
    "Hi, my name is {name}. My order {order} has not arrived at {address}, {postcode}.",
    "Buongiorno, mi chiamo {name}, il pacco {order} non è arrivato in {address} {postcode}.",
    "Please call me on {phone} or write to {email} about ticket {order}.",
    "Sono {name}, il mio numero è {phone}, email {email}. Grazie",
    "The doll arrived broken.\nKind regards\n{name}\n{phone}",
    "Dear team, Mr {name} here; deliver to {address} please, order {order}",
    "Salve, scrivo per conto della Sig.ra {name}: {email}, tel. {phone}",
    "I'm {name} and my refund for {order} is late. Thanks, {name}",
    "The car does not charge. {listed}, {phone}",
    "Please ask for {name} at {address}",
]


def digits_of(value: str) -> str:
    return re.sub(r"\D", "", value)


@settings(max_examples=150, deadline=None)
@given(
    template=st.sampled_from(TEMPLATES),
    name=names,
    listed=listed_names,
    email=emails,
    phone=phones(),
    address=addresses,
    postcode=postcodes,
    order=orders,
)
def test_no_generated_personal_data_survives_cleaning_and_scrubbing(
    template: str,
    name: str,
    listed: str,
    email: str,
    phone: str,
    address: str,
    postcode: str,
    order: str,
) -> None:
    text = template.format(
        name=name,
        listed=listed,
        email=email,
        phone=phone,
        address=address,
        postcode=postcode,
        order=order,
    )
    out = scrub(clean(text))
    leaked = [v for v in (email, address, postcode, order, phone) if v in out]
    parts = f"{name} {listed}".split()  # a made-up name may be a word of the template itself
    leaked += [p for p in parts if re.search(rf"\b{p}\b", out) and p not in template]
    leaked += [
        d for d in (digits_of(phone), digits_of(order)) if len(d) >= 4 and d in digits_of(out)
    ]
    assert leaked == [], out


@given(st.text(max_size=300))
def test_any_text_scrubs_without_error_and_keeps_no_email_nor_long_number(text: str) -> None:
    out = scrub(text)
    assert re.findall(r"[\w.+-]+@[\w-]+\.\w+|\d{4,}", out) == []


def test_a_known_personal_string_goes_whatever_its_place() -> None:
    assert scrub("the parcel for rossi arrived", known=["Rossi"]) == "the parcel for [name] arrived"


def test_ordinary_words_stay() -> None:
    text = "I am waiting for my refund since Monday, the toy car is broken"
    assert scrub(text) == text


def test_placeholders_say_what_stood_there() -> None:
    out = scrub("Mi chiamo Anna Verdi, tel +39 333 123 4567, anna@example.it, ordine ORD-99812")
    assert out == "Mi chiamo [name], tel [phone], [email], ordine [number]"
