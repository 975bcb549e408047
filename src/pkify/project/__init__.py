"""The project layer: files, their summaries, the symbol index, the cache and parallel loading.

Standard library only: nothing here imports libcst, the analysis or a framework plugin.
"""
