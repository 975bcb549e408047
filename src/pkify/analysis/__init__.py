"""The analysis: libcst, abstract values, flow-sensitive inference and the facts the rules read.

It knows Python; what it knows of frameworks comes from plugins (`plugin.Plugin`), which it never
imports by name."""
