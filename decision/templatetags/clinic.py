from django import template

from decision import presentation
from decision.disclaimer import DISCLAIMER
from decision.presentation import first_sentence

register = template.Library()


@register.simple_tag
def disclaimer() -> str:
    # A tag rather than a context variable so that error pages, rendered without context
    # processors, still carry it.
    return DISCLAIMER


@register.filter
def get(mapping: dict, key):
    """`mapping[key]`, or nothing: templates cannot index a dict by a variable."""
    return mapping.get(key, "") if mapping else ""


@register.filter
def split_first_sentence(text: str) -> tuple[str, str]:
    """A note's text as (first sentence, the rest): a folded note shows the first."""
    return first_sentence(text)


@register.filter
def split_lead(sentence: str) -> tuple[str, str]:
    """A bottom-line sentence as (its lead up to the first colon, the rest): the lead is bold."""
    lead, colon, rest = sentence.partition(": ")
    return (lead + ":", rest) if colon else (sentence, "")


@register.filter
def prints_as_title(note) -> bool:
    return presentation.prints_as_title(note)


@register.filter
def why_lines(note) -> list[str]:
    """A note's "why" lines without the pain type, which the whole answer is about."""
    return [line for line in note.why if not line.startswith(presentation.PAIN_TYPE_LINE)]
