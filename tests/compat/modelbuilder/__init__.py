"""Tests of fastmlp.compat.modelbuilder, one file per module."""
