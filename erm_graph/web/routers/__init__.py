"""One router per resource; each is a thin layer over a library function."""
