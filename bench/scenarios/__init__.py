"""One module per benchmark scenario; each starts what it needs and returns an Outcome."""
