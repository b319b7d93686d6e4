"""Every file format of the system: run results, summaries, trees, training sets."""
