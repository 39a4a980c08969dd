"""English, in one room: the words and patterns of the language that answering reads, each list defined
once with where it comes from. None names a thing of any corpus or question set."""
