"""Analyses on the normalised program: activity (which values carry derivatives) and
to-be-recorded (which values the forward sweep must store for the reverse sweep)."""
