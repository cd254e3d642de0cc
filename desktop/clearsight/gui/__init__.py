"""The desktop app (PySide6). All Qt code of Clearsight lives in this package.

PySide6 6.12.0 is excluded in pyproject.toml: on Python 3.11 it hands ``None``, ``True``
and ``False`` back without taking a reference (100 calls of a void method such as
``QColor.setAlphaF`` lower ``None``'s count by 100), so a window that repaints for a few
minutes aborts the interpreter ("none_dealloc").
"""
