from django import template

from decision.disclaimer import DISCLAIMER

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
