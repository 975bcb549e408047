"""`pkify fix`: a plan made from the same facts and rules as `pkify check` (`plan`), the
edits as libcst templates (`edits`), and writing them all at once (`apply`)."""
