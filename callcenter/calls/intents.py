"""Conversational acts in one caller utterance, recognized from phrases.

Deterministic on purpose: the offline responder and the handoff policy rely
on it, and tests can state exactly what it must and must not recognize.

How it reads an utterance: it is lower-cased and split into clauses at
punctuation. Recognizers run in a fixed order (request for a callback and for
a person, goodbye, thanks, greeting, affirm, deny) and each consumes the words it matched, so
"have a good evening" is a goodbye and not also a greeting, and "no thanks" is
thanks plus a deny. Whatever is left is the utterance's content: a question
(or request for help) when it is asked as one, otherwise a statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Act(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    REQUEST_PERSON = "request_person"
    REQUEST_CALLBACK = "request_callback"
    QUESTION = "question"
    AFFIRM = "affirm"
    DENY = "deny"


SMALL_TALK_ACTS = frozenset({Act.GREETING, Act.THANKS, Act.GOODBYE, Act.AFFIRM, Act.DENY})

# Where a consumed phrase was: later recognizers treat it like a clause boundary.
_GAP = " | "
_CLAUSE_SPLIT = re.compile(r"[.,;:!?]+")
_END = r"(?=\s*(?:$|\|))"  # end of the clause (or of what is left of it)
_START = r"(?:^|(?<=\|))\s*"  # start of the clause (or right after a consumed phrase)

# ---------------------------------------------------------------- asking for a person

_PERSON_NOUN = (
    r"(?:(?:a|an|the|some|your|one of your)\s+)?(?:(?:real|live|actual|human|other)\s+)?"
    r"(?:human(?:\s+being)?|person|people|agent|representative|rep|operator|someone|somebody|anyone|anybody"
    r"|manager|supervisor|staff\s+member|member\s+of\s+(?:staff|your\s+team)|employee"
    r"|customer\s+(?:service|support|care)(?:\s+(?:agent|representative|rep|person))?)\b"
)
# "I need someone to fix my router" is not a request for a person: with these
# verbs only a noun that names a person counts.
_NAMED_PERSON = (
    r"(?:(?:a|an|the|your)\s+)?(?:(?:real|live|actual|human)\s+)?"
    r"(?:human(?:\s+being)?|person|agent|representative|rep|operator|manager|supervisor)\b"
)
_PERSON_REQUESTS = tuple(
    re.compile(pattern)
    for pattern in (
        # talk / speak / chat to someone
        rf"\b(?:talk|speak|chat)\s+(?:to|with)\s+{_PERSON_NOUN}",
        # transfer me, put me through to a manager, connect me with an agent
        rf"\b(?:transfer|connect|put|patch|forward|pass|route)\s+me\s+(?:through\s+)?(?:to|with)\s+{_PERSON_NOUN}",
        r"\btransfer\s+me\b",
        r"\bput\s+me\s+through\b",
        # I want / need / would like a human; get me an agent; can I have a representative
        rf"\b(?:want|need|like|prefer|demand|request|get|give|have)\s+(?:me\s+)?{_NAMED_PERSON}",
        # is there a person / anyone I can talk to
        r"\bis\s+there\s+(?:(?:a|an|any)\s+)?(?:(?:real|live|actual)\s+)?"
        r"(?:human|person|agent|representative|operator|anyone|anybody|someone|somebody)\b",
        # have someone call me back
        r"\b(?:have|get|can)\s+(?:someone|somebody|a\s+person|a\s+human|an\s+agent)\s+(?:to\s+)?call\s+me\b",
        # escalate this call
        r"\bescalate\b",
        # the whole utterance is the keyword: "Agent!", "representative please", "a real person"
        r"^\s*(?:(?:um|uh|er|erm|just|please|hey|okay|ok)\s+)*(?:(?:an?|the)\s+)?(?:(?:real|live|actual)\s+)?"
        r"(?:human|person|agent|representative|rep|operator|manager|supervisor)"
        r"(?:\s+(?:human|person|agent|representative|operator|please|now|right\s+now|thanks|thank\s+you))*\s*$",
    )
)
# Asking not to talk to a machine is asking for a person; no negation check applies.
_MACHINE_REFUSALS = tuple(
    re.compile(pattern)
    for pattern in (
        r"\b(?:tired|sick)\s+of\s+(?:talking\s+to\s+)?(?:(?:a|an|the|this|your)\s+)?"
        r"(?:robot|machine|bot|computer|ai|automated\s+system)\b",
        r"\b(?:don'?t|do\s+not)\s+want\s+(?:to\s+(?:talk|speak)\s+(?:to|with)\s+)?(?:(?:a|an|the|this|your)\s+)?"
        r"(?:robot|machine|bot|computer|ai|automated\s+system)\b",
        r"\bnot\s+(?:a|another|the|this)\s+(?:robot|machine|bot|computer)\b",
    )
)
# Negation in the three words before a request: "I don't need a person",
# "I do not want to talk to a human", "there's no need to transfer me".
# "Why don't you put me through" is still a request.
_NEGATION_BEFORE = re.compile(
    r"\b(?:(?<!why\s)(?:don'?t|do\s+not)|doesn'?t|does\s+not|didn'?t|did\s+not|never|without|rather\s+not"
    r"|no\s+need|not\s+(?:need|want|wish|asking|looking)|needn'?t|no\s+longer|no)\b"
)
# ... or anywhere earlier in the clause when it disowns the request.
_DISOWNED_BEFORE = re.compile(r"\b(?:never|didn'?t|did\s+not)\s+(?:said|say|ask|asked)\b|\bnot\s+asking\b")
# "a person isn't necessary", "an agent won't be needed"
_NEGATION_AFTER = re.compile(
    r"^\s*(?:is\s+|are\s+|will\s+be\s+|would\s+be\s+)?(?:not|isn'?t|aren'?t|won'?t\s+be|wouldn'?t\s+be)\s+"
    r"(?:needed|necessary|required)\b"
)
_NEGATION_WINDOW_WORDS = 3

# ---------------------------------------------------------------- asking for a callback

_CALLBACK_REQUESTS = tuple(
    re.compile(pattern)
    for pattern in (
        # call me back, ring me back
        r"\b(?:call|ring|phone)\s+me\s+back\b",
        # have someone call me, can somebody phone me
        r"\b(?:have|get|can|could|would|will)\s+(?:someone|somebody|a\s+person|a\s+human|an\s+agent|a\s+colleague"
        r"|one\s+of\s+your\s+(?:colleagues|agents|people|staff)|you)\s+(?:to\s+|please\s+)?(?:call|ring|phone)\s+me\b",
        # I'd like a callback, can I get a call back, arrange a callback
        r"\b(?:want|need|like|get|have|request|arrange|schedule|book|prefer|leave)\s+(?:me\s+)?(?:a\s+)?call\s*back\b",
        # the whole utterance is the keyword: "a callback please", "callback"
        r"^\s*(?:(?:um|uh|er|just|please|okay|ok|yes)\s+)*(?:an?\s+)?call\s*back(?:\s+(?:please|then|instead|thanks))*\s*$",
    )
)


def _callback_requests(clause: str) -> tuple[list[tuple[int, int]], bool]:
    """The phrases asking to be called back, and whether one of them is an actual request."""
    spans: list[tuple[int, int]] = []
    requested = False
    for pattern in _CALLBACK_REQUESTS:
        for match in pattern.finditer(clause):
            spans.append(match.span())
            if not _negated(clause, match.start(), match.end()):
                requested = True
    return spans, requested


# ---------------------------------------------------------------- small talk

_SMALL_TALK: tuple[tuple[Act, re.Pattern[str]], ...] = tuple(
    (act, re.compile(pattern))
    for act, pattern in (
        (
            Act.GOODBYE,
            r"\b(?:good\s*bye|bye(?:\s+bye|\s+now|\s+for\s+now)?|farewell|take\s+care"
            r"|see\s+(?:you|ya)(?:\s+(?:later|soon|then))?|talk\s+(?:to\s+you\s+)?(?:later|soon)"
            r"|have\s+a\s+(?:good|nice|great|lovely|wonderful)\s+(?:day|one|evening|night|weekend|afternoon|morning)"
            r"|i'?ll\s+hang\s+up|i\s+(?:have\s+|'ve\s+)?got\s+(?:what|everything)\s+i\s+needed)\b",
        ),
        (
            Act.GOODBYE,
            rf"\b(?:(?:that'?s|that\s+is|that\s+was)\s+(?:all|everything|it)|nothing\s+(?:else|more)"
            rf"|i'?m\s+(?:all\s+)?(?:done|good|set|all\s+set))(?:\s+(?:i\s+needed?|for\s+(?:now|today)))?{_END}",
        ),
        (
            Act.THANKS,
            r"\b(?:thank(?:s|\s+you|\s+u)(?:\s+(?:so|very)\s+much|\s+a\s+(?:lot|bunch|million)|\s+kindly)?"
            r"|many\s+thanks|thx|cheers|(?:much|greatly|really)\s+appreciated|(?:i\s+)?(?:really\s+)?appreciate"
            r"\s+(?:it|that|this|your\s+help|you|the\s+help))\b",
        ),
        (
            Act.GREETING,
            rf"\b(?:hi|hello|hey|hiya|howdy|greetings|good\s+(?:morning|afternoon|evening|day))"
            rf"(?:\s+(?:there|again|everyone|all|folks))?\b"
            rf"|\b(?:how\s+are\s+you(?:\s+doing)?(?:\s+today)?|how'?s\s+it\s+going|how\s+are\s+things"
            rf"|nice\s+to\s+(?:meet|talk\s+to)\s+you){_END}",
        ),
        (
            Act.AFFIRM,
            rf"{_START}(?:yes(?:\s+please)?|yeah|yep|yup|ya|sure(?:\s+thing)?|ok(?:ay)?|alright|all\s+right"
            rf"|of\s+course|certainly|absolutely|definitely|uh\s+huh|mhm|mm\s+hmm|no\s+problem|no\s+worries)\b"
            rf"|{_START}(?:correct|right|exactly|perfect|great|fine|got\s+it|understood|sounds\s+good|go\s+ahead"
            rf"|please\s+do|that'?s\s+(?:right|correct|great|perfect|fine|good)|that\s+is\s+(?:right|correct)){_END}",
        ),
        (
            Act.DENY,
            rf"{_START}(?:no(?!\s+(?:one|longer|idea|problem|worries|need|matter))|nope|nah)\b"
            rf"|{_START}(?:not\s+really|not\s+at\s+all|not\s+quite|negative|wrong|incorrect"
            rf"|that'?s\s+(?:not\s+right|not\s+correct|wrong|incorrect|not\s+it)){_END}",
        ),
    )
)

# ---------------------------------------------------------------- content

_FILLER_WORDS = frozenset(
    {
        "um",
        "uh",
        "er",
        "erm",
        "ah",
        "oh",
        "hmm",
        "mm",
        "well",
        "so",
        "and",
        "but",
        "then",
        "also",
        "just",
        "please",
        "again",
        "very",
        "much",
        "really",
        "too",
        "there",
        "you",
        "|",
    }
)
# Around a request for a person or a callback these carry no content of their own
# ("can I | ?", "is there | I can talk to").
_REQUEST_FRAME_WORDS = frozenset(
    {
        "i",
        "i'd",
        "id",
        "i'm",
        "im",
        "i'll",
        "me",
        "you",
        "can",
        "could",
        "would",
        "will",
        "may",
        "might",
        "please",
        "let",
        "want",
        "wanna",
        "need",
        "like",
        "to",
        "with",
        "talk",
        "speak",
        "chat",
        "is",
        "there",
        "there's",
        "a",
        "an",
        "the",
        "that",
        "who",
        "why",
        "don't",
        "dont",
        "won't",
        "can't",
        "cant",
        "now",
        "right",
        "yes",
        "do",
        "get",
        "have",
        "just",
        "actually",
        "rather",
        "prefer",
        "go",
        "ahead",
        "some",
        "one",
        "someone",
        "somebody",
        "call",
        "back",
        "instead",
    }
)
_INTERROGATIVE_OPENERS = frozenset(
    {
        "what",
        "what's",
        "whats",
        "where",
        "where's",
        "when",
        "why",
        "how",
        "how's",
        "who",
        "who's",
        "whom",
        "whose",
        "which",
        "can",
        "could",
        "would",
        "will",
        "do",
        "does",
        "did",
        "is",
        "are",
        "am",
        "was",
        "were",
        "should",
        "shall",
        "may",
        "might",
        "have",
        "has",
        "isn't",
        "aren't",
        "don't",
        "doesn't",
        "can't",
        "won't",
        "wouldn't",
        "couldn't",
        "didn't",
    }
)
_REQUEST_CUES = re.compile(
    r"\b(?:i\s+(?:want|need|would\s+like|'d\s+like)\s+to\s+(?:know|find\s+out|understand|ask|check)"
    r"|i'?d\s+like\s+to\s+(?:know|ask)|tell\s+me|wondering|help\s+me|i\s+need\s+help|need\s+some\s+help"
    r"|i\s+have\s+a\s+question|question\s+(?:about|regarding|on)|explain|is\s+it\s+possible"
    r"|i\s+(?:want|need|would\s+like)\s+to|i'?d\s+like\s+to|i'?m\s+(?:looking\s+for|trying\s+to))\b"
)


@dataclass(frozen=True)
class Reading:
    """What `read_utterance` found: the acts and the content words no act explains."""

    acts: frozenset[Act]
    content_words: tuple[str, ...]


def _normalize(utterance: str) -> str:
    text = utterance.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = re.sub(r"[\"“”()\[\]{}]", " ", text)
    text = re.sub(r"(?<=\w)-(?=\w)", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _clauses(text: str) -> list[tuple[str, bool]]:
    """Clauses and whether each was asked as a question (ends with '?')."""
    clauses: list[tuple[str, bool]] = []
    position = 0
    for separator in _CLAUSE_SPLIT.finditer(text):
        clauses.append((text[position : separator.start()].strip(), "?" in separator.group()))
        position = separator.end()
    clauses.append((text[position:].strip(), False))
    return [(clause, asked) for clause, asked in clauses if clause]


def _negated(clause: str, start: int, end: int) -> bool:
    before = clause[:start].replace("|", " ").split()
    window = " ".join(before[-_NEGATION_WINDOW_WORDS:])
    if _NEGATION_BEFORE.search(window) or _DISOWNED_BEFORE.search(" ".join(before)):
        return True
    return bool(_NEGATION_AFTER.match(clause[end:]))


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _consume(clause: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(_merged(spans), reverse=True):
        clause = f"{clause[:start]}{_GAP}{clause[end:]}"
    return clause


def _take_person_requests(clause: str, also_consumed: list[tuple[int, int]]) -> tuple[str, bool]:
    """Remove every phrase about talking to a person (and `also_consumed`); True if one of them is an
    actual request. "Have someone call me back" asks for a callback and for a person at once."""
    spans: list[tuple[int, int]] = []
    requested = False
    for pattern in _MACHINE_REFUSALS:
        for match in pattern.finditer(clause):
            spans.append(match.span())
            requested = True
    for pattern in _PERSON_REQUESTS:
        for match in pattern.finditer(clause):
            if any(start < match.end() and match.start() < end for start, end in spans):
                continue
            spans.append(match.span())
            if not _negated(clause, match.start(), match.end()):
                requested = True
    return _consume(clause, spans + also_consumed), requested


_ADDRESSING_ACTS = frozenset({Act.GREETING, Act.THANKS, Act.GOODBYE})


def _is_vocative(words: list[str]) -> bool:
    """A single word right after a greeting, thanks or goodbye: most likely the name of whom it is said to."""
    for index, word in enumerate(words):
        if word not in _FILLER_WORDS:
            rest = [w for w in words[index + 1 :] if w not in _FILLER_WORDS]
            follows_gap = "|" in words[:index]
            return follows_gap and not rest and word not in _INTERROGATIVE_OPENERS and word.isalpha()
    return False


def _asks(words: list[str], asked: bool, clause: str) -> bool:
    if asked:
        return True
    opener = next((word for word in words if word not in _FILLER_WORDS), "")
    return opener in _INTERROGATIVE_OPENERS or bool(_REQUEST_CUES.search(clause))


def read_utterance(utterance: str) -> Reading:
    acts: set[Act] = set()
    content: list[str] = []
    for clause, asked in _clauses(_normalize(utterance)):
        original = clause
        callback_spans, callback = _callback_requests(clause)
        if callback:
            acts.add(Act.REQUEST_CALLBACK)
        clause, person = _take_person_requests(clause, callback_spans)
        if person:
            acts.add(Act.REQUEST_PERSON)
        requested = person or callback
        acts_here: set[Act] = set()
        for act, pattern in _SMALL_TALK:
            spans = [match.span() for match in pattern.finditer(clause) if match.group().strip()]
            if spans:
                acts_here.add(act)
                clause = _consume(clause, spans)
        acts |= acts_here
        words = [word.strip("'") for word in clause.split()]
        if acts_here & _ADDRESSING_ACTS and _is_vocative(words):
            words = []  # "hi Alex", "thanks Sam": the one word left is a name
        ignored = _FILLER_WORDS | _REQUEST_FRAME_WORDS if requested else _FILLER_WORDS
        clause_content = [word for word in words if word and word not in ignored]
        if clause_content:
            content.extend(clause_content)
            if _asks(words, asked, original):
                acts.add(Act.QUESTION)
    return Reading(acts=frozenset(acts), content_words=tuple(content))


def recognize_acts(utterance: str) -> set[Act]:
    """The acts in one caller utterance: "thanks, bye" -> {THANKS, GOODBYE};
    "can I talk to a real person" -> {REQUEST_PERSON}; "I don't need a person" -> set();
    "please call me back" -> {REQUEST_CALLBACK}."""
    return set(read_utterance(utterance).acts)


def is_small_talk_only(utterance: str) -> bool:
    """True when the utterance is nothing but greetings, thanks, goodbyes, yes or no:
    there is nothing to look up. An empty utterance is not small talk (nothing was said)."""
    reading = read_utterance(utterance)
    return bool(reading.acts) and reading.acts <= SMALL_TALK_ACTS and not reading.content_words


def names_a_person(label: str) -> bool:
    """Whether an analysis label means "talk to a person" ("talk to a person", "human agent", "escalation")."""
    if Act.REQUEST_PERSON in recognize_acts(label):
        return True
    return bool(
        re.search(r"\b(?:person|human|agent|representative|operator|escalat\w*|live\s+support)\b", label.lower())
    )
