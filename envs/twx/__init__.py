"""TextWorld Express: six fast procedurally generated text games (needs Java, extra `twx`)."""
