//! Plan parsing: detect the format of pasted EXPLAIN output and parse it.
