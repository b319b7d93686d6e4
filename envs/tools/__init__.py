"""Tool-use families: Tool-Query (questions over an academic graph) and Tool-Operation (reach a
goal state of a todo list and spreadsheets), sharing one tolerant tool-call parser."""
