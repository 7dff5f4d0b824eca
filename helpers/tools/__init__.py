"""What the lectures use: the engine, the net library, figures, data, widgets, progress."""
