"""Support shared by the JVM-backed families (ScienceWorld, TextWorld Express).

`pool` runs one JVM per game jar per process and lends game objects out of it; `gold` follows
a recorded gold action sequence as an oracle. Both are independent of any one game.
"""
