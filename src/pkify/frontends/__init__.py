"""The front ends: the `pkify` command, the flake8 plugin, the libcst codemod, the reporters
and the rules' documentation. They reach the analysis only through `pkify.api`."""
