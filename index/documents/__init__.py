"""Reading documents: formats to canonical text, prose blocks, sentences, chunks, line numbers and a
document's own date. Apart from building the index (index/), which stores what is read here."""
