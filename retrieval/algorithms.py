"""The names of the summary methods (:mod:`retrieval.summarize` implements them): the
configuration's ``summary.algorithm`` and ``briefbot summarize --algorithm`` choose among
them. A module of its own, so that the command line's parser has them without loading
the configuration's models (pydantic)."""

from typing import Literal

Algorithm = Literal["hybrid", "lead", "lexrank", "textrank", "lsa", "luhn", "sumbasic", "edmundson"]
