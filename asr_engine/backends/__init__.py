"""Recognition backends; each imports its heavy dependencies lazily."""
