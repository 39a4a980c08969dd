"""The terminal app: `ui.app.QAApp` and its screens, widgets and messages; `tui.py` starts it.

Only this package imports textual. `history` and `export` are plain modules (no textual), so they
are tested without driving the app.
"""
