"""Watch mode's pure parts (no Qt): what changed between two checks, when the next check is
due, how network changes are debounced, and the start-at-login entries of each OS.

The window's side (the tray icon, the fallback window, the controller that starts the runs)
is in ``clearsight.gui.watch_*``.
"""
