"""Domain rules: pure functions, dataclasses and models. No I/O lives here."""
