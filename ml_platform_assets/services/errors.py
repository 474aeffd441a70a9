"""The error every operation raises when it cannot go ahead as asked."""


class Refused(RuntimeError):
    """The operation cannot go ahead as asked; the message is one sentence saying why.

    Doing it again without a change (to the data, the spec or the registry) gives the same
    answer, so a Dagster step that meets it fails without retrying.
    """
