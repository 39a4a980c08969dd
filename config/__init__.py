"""The floor every layer stands on: settings, the errors whose text is the one line shown, and the
tuning record (each tuned value once, with the data that chose it)."""
