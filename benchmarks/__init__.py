"""Benchmarks of tracker at a desk's scale and beyond: the scale generator (`generate`) and the
benchmark suite. Separate from the tests; nothing here is installed with tracker."""
