"""Pages made of boxes ("sections") that edit the mail server, all shown and saved one way.

A newcomer adding a page opens, in this order:

- ``declaration``: ``Section`` and ``SectionPage``, what a page declares;
- ``control_forms`` / ``script_forms``: the forms of boxes that edit control files or a run
  script, on the base ``forms.SectionForm`` (what the flow asks of every box);
- ``flow``: the views (show, save, refused, conflict, agent down), ``urls``: their URLs;
- ``effects``: the notice after a save; ``seen``: the hidden field of what the admin saw;
  ``units``: sizes and durations typed with units.

Templates: ``templates/sections/`` (the page, the card, the agent-down alert, and the answer at the
top of the box a save without JavaScript lands at).
"""

from .control_forms import ControlFilesForm
from .declaration import Section, SectionPage
from .forms import SectionForm
from .script_forms import RunScriptForm

# The views and URLs (flow, urls) are imported where they are used: they need Django's apps loaded.
__all__ = ["ControlFilesForm", "RunScriptForm", "Section", "SectionForm", "SectionPage"]
