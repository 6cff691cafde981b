"""Front end: fetch a function's source, parse it with gast, check it is inside the supported
subset, and normalise it to one primitive operation per statement."""
