from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from decision.memo import BoundedMemo

register = template.Library()

# A note on the live form depends only on its release, its id, why it appeared and its heading
# level: rendered once, it is reused by every answer that shows it. Bounded so that a process
# keeps a few megabytes of them at most.
_live_notes = BoundedMemo(size=4096)


@register.simple_tag(takes_context=True)
def render_note(context, note: dict, heading: str):
    values = {"note": note, "heading": heading, "printable": context.get("printable", False)}
    if values["printable"]:
        # A stored summary numbers its references per page; it is not shared between pages.
        values["page_url"] = context.get("page_url")
        return render_to_string("decision/_note.html", values)
    key = (context["release_key"], note["id"], tuple(note["why"]), heading)
    return _live_notes.get(key, lambda: mark_safe(render_to_string("decision/_note.html", values)))  # noqa: S308
