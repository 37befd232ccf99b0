"""Articles' Markdown to sections under their headings."""

from __future__ import annotations

from callcenter.knowledge.chunking import chunk_document
from callcenter.knowledge.markdown import markdown_to_document

ARTICLE = """Before any heading.

# Refunds

You get **all** your money back, see [the form](https://example.com/form) and `REFUND-1`.

## Timing
Refunds take 5-7 business days.
A soft line break.

### Exceptions

- Gift cards
- Sale items
  - final sale only

3. Pack it
4. Ship it

## Methods

| Method | Days |
|--------|------|
| Card   | 5    |
| PayPal | 1    |

```python
print("code stays")
```

Setext heading
--------------

<div class="note">Inline <b>HTML</b> text</div>

![Diagram of the flow](flow.png)
"""


def test_sections_sit_under_their_headings() -> None:
    document = markdown_to_document("  Returns  ", ARTICLE)
    assert document.title == "Returns"
    sections = [(s.heading_path, s.text) for s in document.sections]
    assert sections == [
        ((), "Before any heading."),
        (("Refunds",), "You get all your money back, see the form and REFUND-1."),
        (("Refunds", "Timing"), "Refunds take 5-7 business days. A soft line break."),
        (("Refunds", "Timing", "Exceptions"), "- Gift cards\n- Sale items\n  - final sale only"),
        (("Refunds", "Timing", "Exceptions"), "3. Pack it\n4. Ship it"),
        (("Refunds", "Methods"), "Method | Days\nCard | 5\nPayPal | 1"),
        (("Refunds", "Methods"), 'print("code stays")'),
        (("Refunds", "Setext heading"), "Inline HTML text"),
        (("Refunds", "Setext heading"), "Diagram of the flow"),
    ]


def test_a_shallower_heading_closes_deeper_ones() -> None:
    document = markdown_to_document("T", "# A\n\n### C\n\nc\n\n## B\n\nb\n\n# D\n\nd")
    assert [(s.heading_path, s.text) for s in document.sections] == [
        (("A", "C"), "c"),
        (("A", "B"), "b"),
        (("D",), "d"),
    ]


def test_empty_and_formatting_only_articles_are_empty() -> None:
    assert markdown_to_document("T", "").is_empty
    assert markdown_to_document("T", "---\n\n<!-- a comment -->\n\n# Only a heading").is_empty


def test_an_article_chunks_by_heading() -> None:
    chunks = chunk_document(markdown_to_document("Returns", ARTICLE))
    assert [c.heading_path for c in chunks][:3] == [(), ("Refunds",), ("Refunds", "Timing")]
    assert all(c.url is None and c.page is None for c in chunks)
