"""One module per main view; each takes the LibraryContext and calls one function per action."""
