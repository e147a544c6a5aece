"""What the web and the agent say to each other, typed; no Celery, no Django.

- ``ops``: every operation's name, and whether it only reads;
- ``errors``: the kinds of refusal an agent answers with;
- ``records``: the change record an agent returns for each file or service it touched;
- ``state``: the shapes of what the pages read.
"""

from .errors import ErrorKind
from .ops import Op
from .records import ChangeRecord

__all__ = ["ChangeRecord", "ErrorKind", "Op"]
