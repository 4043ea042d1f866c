"""A process that publishes, rolls back or edits on command, for the publishing race tests.

`python -m tests.ops.publish_race` (with DATABASE_URL) prints "ready", then answers each line on
stdin with one line: `edit TEXT` retitles a published rule (so that there is something to
publish), `publish` publishes, `activate RELEASE_ID` rolls back to that release.
"""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.db import connection  # noqa: E402

from decision.models import Release, Rule  # noqa: E402
from decision.releases import (  # noqa: E402
    AlreadyActive,
    NothingChanged,
    activate_release,
    publish_release,
)


def run(action: str, argument: str) -> str:
    if action == "edit":
        rule = Rule.objects.filter(status="published").order_by("key").first()
        rule.title = f"{rule.title.split(' [')[0]} [{argument}]"
        rule.save()
        return "edited"
    if action == "publish":
        return f"published {publish_release().version}"
    release = Release.objects.get(pk=int(argument))
    return f"activated {activate_release(release).release.version}"


connection.ensure_connection()
print("ready", flush=True)
for line in sys.stdin:
    action, _, argument = line.strip().partition(" ")
    try:
        outcome = run(action, argument)
    except NothingChanged:
        outcome = "nothing changed"
    except AlreadyActive:
        outcome = "already active"
    except Exception as error:  # the race must show what went wrong, whatever it is
        outcome = f"error {type(error).__name__}: {error}"
    print(outcome, flush=True)
