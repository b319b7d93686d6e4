"""ALFWorld-style household tasks: a pure-Python simulator with ALFWorld's commands and text.

ALFWorld's TextWorld game files cannot be fetched here, so this package re-creates the
setting: seeded rooms with numbered receptacles and objects, ALFWorld's six task types and
its command vocabulary, so that a policy prompt written for ALFWorld fits unchanged.
"""
