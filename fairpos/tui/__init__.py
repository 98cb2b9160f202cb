"""The till: the Textual app volunteers use (the only package that imports textual)."""
