"""Chat: live chat between operators and customers."""
