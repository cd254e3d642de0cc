"""What is wrong with a file a person gave Clearsight (a profile, a saved report), said in
their language: "acme.clearsight, line 12 (services[2].urls): …" /
「acme.clearsight，第 12 行（services[2].urls）：…」.

The problems are the catalogs' ``[file_problem]`` table; the code that finds one raises a
:class:`FileError` holding a :class:`Phrase`, and whoever shows it picks the language.
"""

from __future__ import annotations

from clearsight.explanations.catalog import Phrase, catalog

SECTION = "file_problem"


def file_problem(code: str, **params: object) -> Phrase:
    """A problem of the ``[file_problem]`` table."""
    return Phrase(SECTION, code, params)


def problem_message(
    path: str, problem: Phrase, language: str, *, line: int | None = None, key: str | None = None
) -> str:
    """ "FILE, line N (KEY): PROBLEM" in ``language`` (line and key where known)."""
    where: object = path
    if line is not None:
        where = file_problem("where_line", file=path, line=line)
    if key:
        where = file_problem("where_key", where=where, key=key)
    return catalog(language).say(file_problem("message", where=where, problem=problem))


class FileError(Exception):
    """A file that cannot be used: one sentence naming the file, the line or key where
    known, and the problem. ``str()`` and ``problem`` are English; :meth:`message` says
    it in any catalog language."""

    def __init__(
        self, path: str, problem: Phrase, key: str | None = None, line: int | None = None
    ) -> None:
        super().__init__(path, problem, key, line)
        self.path = path
        self.phrase = problem
        self.key = key
        self.line = line

    @property
    def problem(self) -> str:
        return catalog("en").say(self.phrase)

    def message(self, language: str = "en") -> str:
        return problem_message(self.path, self.phrase, language, line=self.line, key=self.key)

    def __str__(self) -> str:
        return self.message("en")
