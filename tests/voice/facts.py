"""A small help center with facts a caller can ask about, and the questions
(with the words an answer must contain) the voice tests and benchmarks ask.
Expected words list alternatives as "9|nine": whisper writes digits."""

from __future__ import annotations

from dataclasses import dataclass

ARTICLES: dict[str, str] = {
    "Store hours": (
        "# Store hours\n\n"
        "Our store opens at nine in the morning and closes at six in the evening, Monday to Saturday. "
        "The store is closed on Sundays and on public holidays."
    ),
    "Returns and refunds": (
        "# Returns and refunds\n\n"
        "You can return any item within thirty days of delivery for a full refund. "
        "Refunds are paid back to the original card within five business days of receiving the return."
    ),
    "Shipping": (
        "# Shipping\n\n"
        "Standard shipping takes three to five business days. "
        "Express shipping arrives the next business day when you order before two in the afternoon."
    ),
    "Warranty": (
        "# Warranty\n\n"
        "The warranty covers the motor, the battery, the charger, the control panel, the wheels, the frame, "
        "the brakes, the lights, the display and every cable for three full years from the day of purchase, "
        "and during that time we repair or replace any covered part free of charge, including the shipping "
        "both ways, the labour and a loan bicycle that you can ride while yours is in our workshop."
    ),
    "Contact": (
        "# Contact\n\n"
        "Our support team answers email within one business day. "
        "The support phone line is staffed from eight in the morning to eight in the evening."
    ),
    "Membership": (
        "# Membership\n\n"
        "The gold membership costs fifty dollars a year and includes free express shipping on every order. "
        "Members also get an extra year of warranty on every bicycle."
    ),
}

GREETING = "Hello, you have reached Green Valley Bikes. How can I help you today?"


@dataclass(frozen=True)
class Question:
    text: str
    expected: tuple[str, ...]


QUESTIONS: tuple[Question, ...] = (
    Question("What time does the store open in the morning?", ("9|nine", "morning")),
    Question("How many days do I have to return an item?", ("30|thirty", "days")),
    Question("How long does standard shipping take?", ("3|three", "5|five", "business days")),
    Question("When do refunds arrive on my card?", ("5|five", "business days")),
    Question("How much does the gold membership cost?", ("50|fifty", "year")),
    Question("How quickly does support answer email?", ("one business day|1 business day",)),
    Question("When is the support phone line staffed?", ("8|eight",)),
    Question("Is the store open on Sundays?", ("closed", "sundays|sunday")),
    Question("When does express shipping arrive?", ("next business day",)),
)

# A question whose answer is one long sentence (about twenty seconds of speech): the barge-in target.
LONG_ANSWER = Question("What does the warranty cover?", ("warranty|motor|battery",))
INTERRUPTION = "Sorry to interrupt, I have a different question."
