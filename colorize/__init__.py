"""The colorization engine: networks, weights, the colour pipeline. Knows nothing about HTTP."""
