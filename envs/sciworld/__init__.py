"""ScienceWorld: elementary-science tasks in a simulated world (needs Java, extra `sciworld`)."""
