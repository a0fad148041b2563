"""Tests of fastmlp.compat (a package, so its module names cannot clash with other folders')."""
