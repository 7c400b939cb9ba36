"""Built-in detector plugins, one module per family of signals, and the tool catalogue."""
