"""The error a delivered file that cannot be ingested at all raises."""


class LandingFileError(ValueError):
    """A delivered file that cannot be ingested at all; the message names the file."""
