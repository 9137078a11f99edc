"""knowledge: FAQ mined from resolved cases."""
