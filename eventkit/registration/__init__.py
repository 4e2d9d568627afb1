"""Guests who come in by themselves: the public page, registration modes, questions and applications."""
