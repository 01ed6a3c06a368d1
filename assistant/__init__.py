"""Answers: retrieve, answer, cite. `assistant.service.build_assistant(settings)` is the one
place that wires settings into a ready assistant."""
