"""Plain domain rules: pure functions over plain values, no database and no Flask."""
