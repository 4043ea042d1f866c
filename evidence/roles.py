"""Who may do what in curation: the two roles, and what being a reviewer unlocks.

Curators (group "Curator") add and edit drafts of every curated record, evidence and rules
alike. Reviewers (group "Reviewer") may also publish: set a record to published, change or
delete a published one, publish a knowledge-base release and roll back to an earlier one. The
groups are created by decision/migrations/0002; the reviewers' extra right is the permission
`evidence.publish` (on `evidence.models.Curation`, which has no table).
"""

from evidence.models import Status

CURATOR = "Curator"
REVIEWER = "Reviewer"
PUBLISH_PERMISSION = "evidence.publish"


def can_publish(user) -> bool:
    return user is not None and user.has_perm(PUBLISH_PERMISSION)


def is_locked(status: str | None, user) -> bool:
    """Whether a record stored with `status` is locked for `user`.

    A published record may be changed or deleted only by a reviewer. The admin hides the save
    and delete buttons for a locked record; the form refuses to save one (a history revert is
    posted with view permission only).
    """
    return status == Status.PUBLISHED and not can_publish(user)
