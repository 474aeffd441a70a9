"""Who acts: the person running a command, as the audit ledger records them."""

import getpass
import os


def current_actor() -> str:
    """The operating-system user running this process, or ``uid N`` without a passwd entry
    (a container user)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
