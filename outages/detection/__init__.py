"""Pure detection library: standard library and numpy only, no Django (tests enforce it)."""
