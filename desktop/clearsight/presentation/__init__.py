"""The presentation: what a person reads, composed once.

:mod:`.summary` composes the headline and the actions from the diagnosis (when a report is
built); :mod:`.answer` composes the rest of the answer (badges, tones, sections, rows and
their evidence lines) from a report's typed diagnosis and the words the report adds, both
read from it in one place (:mod:`.reported`). The window, the HTML, PDF and text reports
and the command line only render what these return.
"""

from clearsight.presentation.summary import Action, Summary, compose_summary
from clearsight.presentation.tones import BAD, GOOD, INFO, WARN, Tone

__all__ = ["BAD", "GOOD", "INFO", "WARN", "Action", "Summary", "Tone", "compose_summary"]
