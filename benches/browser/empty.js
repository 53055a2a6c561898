// An empty module: the benchmark imports it first, so that the browser's one-time module loader start-up is not counted against any contender.
