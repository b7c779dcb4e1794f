"""Everything that depends on the language of a text: which language it is (``detect``) and
what its words are (``words``)."""
