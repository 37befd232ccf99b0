"""Phrase-based act recognition, table by table: what each act must and must
not match, requests for a person in many phrasings and their negations."""

from __future__ import annotations

import pytest

from callcenter.calls.intents import Act, is_small_talk_only, names_a_person, recognize_acts

G, T, B, P, Q, A, D = Act.GREETING, Act.THANKS, Act.GOODBYE, Act.REQUEST_PERSON, Act.QUESTION, Act.AFFIRM, Act.DENY

EXACT = [
    # small talk
    ("Hello", {G}),
    ("hi there", {G}),
    ("Hey!", {G}),
    ("Good morning", {G}),
    ("Hi Alex", {G}),
    ("How are you?", {G}),
    ("Thanks", {T}),
    ("Thank you so much!", {T}),
    ("I really appreciate it", {T}),
    ("Cheers", {T}),
    ("Bye", {B}),
    ("Goodbye", {B}),
    ("Have a good evening", {B}),
    ("That's all, thanks!", {B, T}),
    ("thanks, bye", {T, B}),
    ("Thank you, have a nice day, bye bye", {T, B}),
    ("I'm all set", {B}),
    ("Nothing else", {B}),
    ("Yes", {A}),
    ("Yeah sure", {A}),
    ("Yes please", {A}),
    ("That's right", {A}),
    ("No problem", {A}),
    ("No", {D}),
    ("Nope", {D}),
    ("no thanks", {D, T}),
    ("Not really", {D}),
    ("That's wrong", {D}),
    # questions and requests for information
    ("How do I return a pair of shoes?", {Q}),
    ("what are your opening hours", {Q}),
    ("Do you ship to Canada", {Q}),
    ("I'd like to know when my refund arrives", {Q}),
    ("I want to cancel my subscription", {Q}),
    ("Hello there, how do I return a shoe?", {G, Q}),
    ("Hi, thanks for picking up, where is my order?", {G, T, Q}),
    ("Sure, but where is my order?", {A, Q}),
    ("how are you going to fix this", {Q}),
    ("Are you a real person?", {Q}),
    ("Could you tell me the price of the premium plan", {Q}),
    # statements: neither small talk nor a question
    ("My order hasn't arrived", set()),
    ("I'm not sure", set()),
    ("No one answered my email", set()),
    ("Right now my router is broken", set()),
    ("", set()),
    ("   ", set()),
]

PERSON_REQUESTS = [
    "Can I talk to a real person?",
    "can I talk to a real person",
    "I want to speak to a human",
    "I'd like to speak with a representative please",
    "Let me talk to your supervisor",
    "Get me a human",
    "I need an agent",
    "I want a real person, not a robot",
    "Agent!",
    "agent agent",
    "Representative.",
    "Operator",
    "Human please",
    "A real person please",
    "speak to someone",
    "I need to speak with somebody",
    "Can I talk to someone in billing?",
    "Put me through to an operator",
    "Can you transfer me?",
    "Transfer me to billing",
    "Could you connect me with a live agent please",
    "I want to speak to customer service",
    "Is there a human I can talk to?",
    "Is there anyone I can talk to?",
    "Have someone call me back",
    "I'm tired of talking to a machine",
    "I don't want to talk to a robot",
    "I don't want a robot, I want a person",
    "Why don't you put me through to a manager?",
    "Can't I just talk to a person?",
    "Why won't you let me talk to a human",
    "I don't want to wait get me an agent",
    "No, I want a human",
    "I don't know. Can I speak to a representative?",
    "Please escalate this",
    "I\u2019d like to talk to an actual human being",
]

NOT_PERSON_REQUESTS = [
    "I don't need a person",
    "I do not want to talk to a human",
    "I dont need an agent, I just have a question about shipping",
    "No need to transfer me",
    "There's no need to transfer me",
    "I'd rather not speak to an agent",
    "I don't really need a representative",
    "An agent isn't necessary",
    "A person won't be needed",
    "I never said I wanted to talk to a person",
    "I didn't ask to speak to a manager",
    "My travel agent booked the trip",
    "Are you a real person?",
    "I talked to someone yesterday about this",
    "I spoke to a representative last week",
    "I need someone to fix my router",
    "The person at the store said I could return it",
    "How do I become an agent?",
    "Is there a fee for returns?",
    "Hello",
]


@pytest.mark.parametrize(("utterance", "acts"), EXACT, ids=[repr(u) for u, _ in EXACT])
def test_recognizes_exactly_these_acts(utterance: str, acts: set[Act]) -> None:
    assert recognize_acts(utterance) == acts


@pytest.mark.parametrize("utterance", PERSON_REQUESTS)
def test_recognizes_a_request_for_a_person(utterance: str) -> None:
    assert Act.REQUEST_PERSON in recognize_acts(utterance)


@pytest.mark.parametrize("utterance", NOT_PERSON_REQUESTS)
def test_does_not_take_this_for_a_request_for_a_person(utterance: str) -> None:
    assert Act.REQUEST_PERSON not in recognize_acts(utterance)


def test_a_plain_request_for_a_person_is_nothing_else() -> None:
    assert recognize_acts("can I talk to a real person") == {Act.REQUEST_PERSON}
    # ... but a question that comes with it is kept.
    assert recognize_acts("Can I talk to someone about my refund?") == {Act.REQUEST_PERSON, Act.QUESTION}


def test_goodbye_phrases_are_not_also_greetings() -> None:
    assert recognize_acts("Good evening") == {Act.GREETING}
    assert recognize_acts("Have a good evening") == {Act.GOODBYE}


def test_case_punctuation_and_curly_apostrophes_do_not_matter() -> None:
    assert recognize_acts("THANKS!!! BYE!!!") == {Act.THANKS, Act.GOODBYE}
    assert recognize_acts("I don\u2019t need a person") == set()
    assert Act.REQUEST_PERSON in recognize_acts("I\u2019d like to talk to a person")


@pytest.mark.parametrize(
    ("utterance", "small_talk"),
    [
        ("Hi there!", True),
        ("thanks, bye", True),
        ("Thanks Sam", True),
        ("Yes please", True),
        ("No thanks, that's all", True),
        ("How are you today?", True),
        ("Okay", True),
        ("Hi, how do I return a shoe?", False),
        ("Thanks. And when does the refund arrive?", False),
        ("ok so my order hasn't arrived", False),
        ("Can I talk to a real person?", False),  # a request for a person is not small talk: it is acted on
        ("Refunds", False),
        ("", False),
    ],
)
def test_small_talk_only(utterance: str, small_talk: bool) -> None:
    assert is_small_talk_only(utterance) is small_talk


@pytest.mark.parametrize(
    ("label", "person"),
    [
        ("talk to a person", True),
        ("speak with an agent", True),
        ("human", True),
        ("request a representative", True),
        ("escalation", True),
        ("billing question", False),
        ("cancel service", False),
        ("other", False),
    ],
)
def test_names_a_person(label: str, person: bool) -> None:
    assert names_a_person(label) is person
