"""Tests of fastmlp.backends (a package, so its module names cannot clash with other folders')."""
