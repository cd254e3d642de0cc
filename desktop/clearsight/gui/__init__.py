"""The desktop app (PySide6). All Qt code of Clearsight lives in this package.

Importing it makes ``None``, ``True`` and ``False`` immortal on Python 3.11, as Python 3.12
does by design (PEP 683). PySide6 6.12 hands these singletons back without taking a
reference: measured here, 100 calls of a void method (``QColor.setAlphaF``,
``QPainter.drawLine``) lower ``None``'s count by 100, and 100 ``Signal.emit`` calls lower
``True``'s by 100; PySide6 6.11 does neither. A window that repaints and signals for a
few minutes brings a count to zero and Python aborts ("none_dealloc: deallocating None",
"bool_dealloc"). The fix belongs in PySide6; until then a count far beyond reach keeps the
app alive. Python 3.12 and later need nothing.
"""

from __future__ import annotations

import sys


def _make_singletons_immortal() -> None:
    if sys.version_info >= (3, 12):
        return
    import ctypes

    for singleton in (None, True, False):
        # ob_refcnt is the first field of every CPython object.
        count = ctypes.c_ssize_t.from_address(id(singleton))
        if count.value < 1 << 40:
            count.value += 1 << 48


_make_singletons_immortal()
