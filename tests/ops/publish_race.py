"""One side of a publishing race: waits for "go" on stdin, then publishes or rolls back.

`python -m tests.ops.publish_race publish [EDIT]` first retitles a published rule with EDIT (so
that there is something to publish), `... activate RELEASE_ID` rolls back to that release. Needs
DATABASE_URL; prints "ready", then, after "go", one line: the outcome.
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

action, argument = sys.argv[1], (sys.argv[2:] or [""])[0]
target = Release.objects.get(pk=int(argument)) if action == "activate" else None
if action == "publish" and argument:
    rule = Rule.objects.filter(status="published").order_by("key").first()
    rule.title = f"{rule.title.split(' [')[0]} [{argument}]"
    rule.save()
connection.ensure_connection()
print("ready", flush=True)
sys.stdin.readline()
try:
    if action == "publish":
        outcome = f"published {publish_release().version}"
    else:
        outcome = f"activated {activate_release(target).release.version}"
except NothingChanged:
    outcome = "nothing changed"
except AlreadyActive:
    outcome = "already active"
except Exception as error:  # the race must show what went wrong, whatever it is
    outcome = f"error {type(error).__name__}: {error}"
print(outcome, flush=True)
