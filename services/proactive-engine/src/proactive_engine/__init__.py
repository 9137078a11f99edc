"""Proactive engine: spots customers stuck in the shop and asks an operator to reach out."""
